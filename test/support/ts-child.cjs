// Runs a TypeScript entry point in a plain Node child process (as production runs dist/), compiling
// our sources on the fly with SWC, the compiler the test runner already uses. For specs that must
// kill a real gateway process: `node test/support/ts-child.cjs src/main.ts`.
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
// The entry point takes argv[1]'s place, so it sees its own arguments from argv[2] as under `node`.
const entry = resolve(process.argv[2]);
process.argv.splice(1, 1);
require(entry);
