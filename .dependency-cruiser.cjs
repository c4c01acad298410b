/**
 * The architecture as rules: lanes and protocols outside, the pipeline in the middle, domain modules
 * inside, infrastructure at the bottom. Dependencies point inward only.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-protocol-free',
      comment: 'A domain module never imports a protocol, a lane, the pipeline or the composition root.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(protocols|lanes|pipeline|bootstrap|cli|simulators|demo)/' },
    },
    {
      name: 'pipeline-knows-no-protocol',
      comment: 'The pipeline knows no protocol and no lane.',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(protocols|lanes|bootstrap|cli|simulators|demo)/' },
    },
    {
      name: 'protocols-are-not-lanes',
      comment: 'Protocol translators do not reach into lanes (transport) or the composition root.',
      severity: 'error',
      from: { path: '^src/protocols/' },
      to: { path: '^src/(lanes|bootstrap|cli|demo)/' },
    },
    {
      name: 'lanes-are-not-the-composition-root',
      comment:
        'Lanes declare what they are given (lanes/gateway-services.ts); the composition root builds it and ' +
        'imports the lanes, never the other way round.',
      severity: 'error',
      from: { path: '^src/lanes/' },
      to: { path: '^src/(bootstrap|cli|demo)/' },
    },
    {
      name: 'protocol-is-not-another-protocol',
      comment:
        'One protocol never imports another (iso8583, iso20022, rest...): what they share lives in the ' +
        'domain, the pipeline, or a protocol-neutral file directly under src/protocols/.',
      severity: 'error',
      from: { path: '^src/protocols/([^/]+)/' },
      to: { path: '^src/protocols/[^/]+/', pathNot: '^src/protocols/$1/' },
    },
    {
      name: 'shared-protocol-files-are-protocol-neutral',
      comment:
        'A file directly under src/protocols/ is shared by every protocol, so it imports none of them.',
      severity: 'error',
      from: { path: '^src/protocols/[^/]+$' },
      to: { path: '^src/protocols/[^/]+/' },
    },
    {
      name: 'infrastructure-is-innermost',
      comment: 'Infrastructure (database, cache, logging, metrics) depends on nothing of ours above it.',
      severity: 'error',
      from: { path: '^src/infrastructure/' },
      to: { path: '^src/(domain|pipeline|protocols|lanes|bootstrap|cli|simulators|demo)/' },
    },
    {
      name: 'simulators-stand-alone',
      comment: 'Simulators stand for parties outside the bank and share no code with the gateway.',
      severity: 'error',
      from: { path: '^src/simulators/' },
      to: { path: '^src/(domain|pipeline|protocols|lanes|bootstrap|infrastructure)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.spec\\.ts$' },
      to: { path: '(^test/|\\.spec\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
