import { splitSqlStatements } from './sql-script';

describe('splitSqlStatements', () => {
  it('splits on semicolons outside strings, identifiers, comments and dollar quotes', () => {
    const script = `
      create table a (x text default 'a;b', "we;ird" int); -- comment; here
      create function f() returns trigger language plpgsql as $$ begin raise 'x;y'; end $$;
      insert into a values ('it''s; fine');
    `;
    expect(splitSqlStatements(script)).toEqual([
      `create table a (x text default 'a;b', "we;ird" int)`,
      `create function f() returns trigger language plpgsql as $$ begin raise 'x;y'; end $$`,
      `insert into a values ('it''s; fine')`,
    ]);
  });
});
