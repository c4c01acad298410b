export { prng } from '../../fuzzing';
