export { utf8Decoder, uint32Decoder } from './decoders.js';
