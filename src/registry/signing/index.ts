export {
  createModelSigner,
  IN_TOTO_STATEMENT_TYPE,
  MODEL_SIGNING_PREDICATE_TYPE,
  type ModelStatement,
} from './model-signer.js';
export { IN_TOTO_PAYLOAD_TYPE, preAuthEncoding, verifyDsseWithPublicKey } from './dsse.js';
