// Container names: Docker's validation rule and its "adjective_surname"
// generator for containers created without --name.

import { randomInt } from 'node:crypto';
import { invalid } from '../../core/errors.ts';

const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Returns the name without its leading "/", or throws Docker's error. */
export function validateName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw invalid(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name.slice(1) : name;
}

const left = [
  'admiring', 'agitated', 'amazing', 'angry', 'awesome', 'blissful', 'bold', 'brave', 'busy', 'charming',
  'clever', 'compassionate', 'competent', 'confident', 'cool', 'dazzling', 'determined', 'eager', 'ecstatic',
  'elastic', 'elegant', 'epic', 'exciting', 'fervent', 'focused', 'friendly', 'frosty', 'funny', 'gallant',
  'gifted', 'goofy', 'gracious', 'happy', 'hopeful', 'hungry', 'infallible', 'inspiring', 'jolly', 'keen',
  'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'nervous', 'nice', 'nifty',
  'nostalgic', 'objective', 'optimistic', 'peaceful', 'pensive', 'practical', 'priceless', 'quirky', 'relaxed',
  'reverent', 'romantic', 'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'sweet', 'tender',
  'thirsty', 'trusting', 'upbeat', 'vibrant', 'vigilant', 'wizardly', 'wonderful', 'xenodochial', 'youthful',
  'zealous', 'zen',
];
const right = [
  'albattani', 'allen', 'archimedes', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'bhabha', 'blackwell',
  'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar',
  'clarke', 'curie', 'darwin', 'davinci', 'dijkstra', 'driscoll', 'einstein', 'elion', 'engelbart', 'euclid',
  'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo', 'gauss', 'goldberg', 'goodall',
  'hamilton', 'hawking', 'heisenberg', 'hermann', 'hodgkin', 'hopper', 'hypatia', 'jackson', 'jennings',
  'johnson', 'kalam', 'kepler', 'knuth', 'lamarr', 'lamport', 'leakey', 'liskov', 'lovelace', 'lumiere',
  'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel', 'morse', 'napier', 'newton', 'nobel', 'noether',
  'pasteur', 'payne', 'perlman', 'pike', 'poincare', 'ptolemy', 'ritchie', 'rosalind', 'sammet', 'shannon',
  'shockley', 'sinoussi', 'stonebraker', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing', 'wilson',
  'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

export function generateName(inUse: (name: string) => boolean): string {
  for (let i = 0; i < 20; i++) {
    const name = `${left[randomInt(left.length)]}_${right[randomInt(right.length)]}`;
    const candidate = i < 5 ? name : `${name}${randomInt(10)}`;
    if (!inUse(candidate)) return candidate;
  }
  throw invalid('could not generate a unique container name');
}
