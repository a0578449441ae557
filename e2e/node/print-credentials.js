// Prints what the real @alicloud/credentials default chain finds in this
// process's environment, as one JSON line, for alirole's end-to-end tests.
'use strict';
const Credential = require('@alicloud/credentials').default;

(async () => {
  const c = await new Credential().getCredential();
  process.stdout.write(JSON.stringify({
    accessKeyId: c.accessKeyId,
    accessKeySecret: c.accessKeySecret,
    securityToken: c.securityToken,
    providerName: c.providerName,
  }) + '\n');
})().catch((e) => {
  process.stderr.write(String(e && e.message || e) + '\n');
  process.exit(1);
});
