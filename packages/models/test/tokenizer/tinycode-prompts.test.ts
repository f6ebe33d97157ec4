// The demo model's tokenizer (models/tinycode-gemma2-6m: its assets/tokenizer/vocabulary.spm and
// hf/tokenizer.model are byte-for-byte gemma_like_vocab.spm). Its reference.json pins, for each
// prompt, the ids Hugging Face transformers fed the model (BOS + the prompt's tokens), the greedy
// continuation ids, and the text KerasHub's `generate` returned for them; copied here verbatim.
import { describe, expect, it } from 'vitest';
import { GemmaTokenizer } from '../../src/tokenizer/index.js';
import { readFixture } from './support/fixture-files.js';

interface PromptCase {
  prompt: string;
  promptIds: number[];
  greedyIds: number[];
  kerasHubGenerate: string;
}

const cases: PromptCase[] = [
  {
    prompt: "def forward(self, x):",
    promptIds: [2, 416, 418, 758, 1991, 271, 1985, 620, 404],
    greedyIds: [2, 416, 418, 758, 1991, 271, 1985, 620, 404, 17, 1967, 1967, 1967, 380, 444, 17, 1967, 1967, 1967, 613, 1972, 1977, 281, 1997, 925, 1966, 1997, 1968, 267, 2008, 2026, 574, 1984, 1969, 267, 277, 556, 431, 1969, 1982, 17],
    kerasHubGenerate: "def forward(self, x):\n    \"\"\"\n    Andrew Newton-Raphson transforms.\n",
  },
  {
    prompt: "import numpy as np\n",
    promptIds: [2, 442, 505, 733, 803, 889, 17],
    greedyIds: [2, 442, 505, 733, 803, 889, 17, 442, 433, 1992, 1968, 1265, 17, 17, 430, 433, 368, 273, 474, 378, 17, 1967, 1967, 1967, 542, 438, 2025, 1783, 1985, 17, 1967, 1967, 1967, 1042, 569, 1985, 17, 1967, 1967],
    kerasHubGenerate: "import numpy as np\nimport pytest\n\nfrom pandas import (\n    DataFrame,\n    Index,\n  ",
  },
  {
    prompt: "class Config:\n    \"\"\"",
    promptIds: [2, 616, 1932, 1994, 17, 1967, 1967, 1967, 380, 444],
    greedyIds: [2, 616, 1932, 1994, 17, 1967, 1967, 1967, 380, 444, 17, 1967, 1967, 1967, 613, 1972, 1967, 454, 818, 392, 358, 1792, 2002, 340, 2030, 2017, 1998, 390, 590, 1982, 17, 17, 1967, 1967, 1967, 613, 1974, 467, 1994, 17, 1967, 1967],
    kerasHubGenerate: "class Config:\n    \"\"\"\n    An extension of `MultiTaskGP` to use.\n\n    Args:\n  ",
  },
  {
    prompt: "    Returns:\n",
    promptIds: [2, 1967, 1967, 1967, 686, 422, 440, 1969, 1994, 17],
    greedyIds: [2, 1967, 1967, 1967, 686, 422, 440, 1969, 1994, 17, 1967, 1967, 1967, 1967, 1967, 1967, 1967, 394, 386, 1992, 1982, 1972, 1977, 1321, 1994, 488, 394, 958, 925, 2013, 739, 1260, 390, 567, 394, 276, 1341, 310, 1982, 17, 1967, 1967],
    kerasHubGenerate: "    Returns:\n        cupy.ndarray: The current NDArray to be checked.\n  ",
  },
  {
    prompt: "for i in range(",
    promptIds: [2, 313, 937, 302, 1230, 1991],
    greedyIds: [2, 313, 937, 302, 1230, 1991, 914, 1991, 2000, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004, 2004],
    kerasHubGenerate: "for i in range(range(100000000000000000000000000000",
  },
  {
    prompt: "# Copyright",
    promptIds: [2, 2012, 661, 1973, 733, 1579],
    greedyIds: [2, 2012, 661, 1973, 733, 1579, 1967, 2001, 2004, 2001, 2028, 488, 992, 1981, 1713, 284, 2025, 1840, 397, 1966, 337, 1982, 613, 1976, 1976, 1080, 786, 1631, 263, 1996, 310, 1982, 17, 2012, 17, 2012, 956, 362],
    kerasHubGenerate: "# Copyright 2026 The HuggingFace Team. All rights reserved.\n#\n# Lic",
  },
];

describe('GemmaTokenizer on the demo model prompts (tinycode-gemma2-6m reference.json)', () => {
  const tokenizer = new GemmaTokenizer(readFixture('gemma_like_vocab.spm'));

  it.each(cases.map((testCase) => [JSON.stringify(testCase.prompt), testCase] as const))('tokenizes %s to the reference prompt ids after <bos>', (_, testCase) => {
    expect([tokenizer.startTokenId, ...tokenizer.tokenize(testCase.prompt)]).toEqual(testCase.promptIds);
  });

  it.each(cases.map((testCase) => [JSON.stringify(testCase.prompt), testCase] as const))('detokenizes the greedy continuation of %s to the text KerasHub generated', (_, testCase) => {
    const special = new Set(tokenizer.specialTokenIds);
    expect(tokenizer.detokenize(testCase.greedyIds.filter((id) => !special.has(id)))).toBe(testCase.kerasHubGenerate);
  });
});
