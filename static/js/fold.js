// Search text folded the way the server's search folds it (mmm_events/folding.py), so that a
// name found online is found offline too: case folded for every script, the Arabic alef forms
// read as bare alef, hamza seats as waw and yaa, taa marbuta as haa, alif maqsura as yaa, and
// the harakat, the superscript alef, the tatweel and the zero-width (non-)joiner dropped. tests/browser checks this against
// the Python rules on the same names.
(function (root) {
  "use strict";
  var VARIANTS = "\u0623\u0625\u0622\u0671\u0624\u0626\u0629\u0649";
  var BASES = "\u0627\u0627\u0627\u0627\u0648\u064A\u0647\u064A";
  var DROPPED = /[\u0640\u064B-\u0652\u0670\u200C\u200D]/g;
  var ARABIC = new RegExp("[" + VARIANTS + "]", "g");

  function fold(text) {
    // Upper then lower case is Unicode's full case folding for the scripts names are written
    // in, once "ß" reads as "ss" and a final sigma as a sigma, as with Python's casefold().
    return String(text).toUpperCase().toLowerCase()
      .replace(ARABIC, function (letter) { return BASES.charAt(VARIANTS.indexOf(letter)); })
      .replace(/\u00DF/g, "ss").replace(/\u03C2/g, "\u03C3")
      .replace(DROPPED, "");
  }

  root.mmmFold = fold;
}(window));
