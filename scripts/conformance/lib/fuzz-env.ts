/**
 * Imported first by scripts/conformance/fuzz.ts: the fuzzer records in its own namespaces
 * (ckf_router, ckf_client, ...) unless CKR_PREFIX says otherwise, so it never collides with
 * another recorder. lib/topology.ts reads the prefix when it is loaded, hence this module.
 */
process.env['CKR_PREFIX'] ??= 'ckf';
export {};
