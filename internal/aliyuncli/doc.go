// Package aliyuncli reads and edits the aliyun CLI's configuration file
// (~/.aliyun/config.json) for `alirole setup-cli` and `alirole import`.
//
// The file is a JSON object {"current", "profiles": [...], "meta_path"}; each
// profile carries a "mode" (AK, StsToken, RamRoleArn, EcsRamRole, RsaKeyPair,
// RamRoleArnWithRoleName, ChainableRamRoleArn, External, CredentialsURI, OIDC,
// CloudSSO, OAuth, BearerToken, Anonymous) and snake_case fields. Both the
// CLI and credentials-go decode it into fixed structs and write it back from
// them, so each of them silently drops fields it does not know. This package
// instead edits the document in place: bytes outside the profiles it changes
// are written back untouched.
//
// Where the file lives: the aliyun CLI reads <home>/.aliyun/config.json (or
// its --config-path flag) and ignores ALIBABA_CLOUD_CONFIG_FILE; credentials-go
// (the SDKs' default chain) honours ALIBABA_CLOUD_CONFIG_FILE first.
//
// Warning for External profiles: credentials-go ≥ 1.4.10 writes the
// credentials an External process_command printed (access_key_id,
// access_key_secret, sts_token, sts_expiration) back into config.json in
// plain text, and because it rewrites the file from its own struct it also
// drops fields it does not model (output_format, language, site, meta_path,
// unknown keys) and adds empty ones. The aliyun CLI itself does not write
// External results back. Callers should tell users about this.
package aliyuncli
