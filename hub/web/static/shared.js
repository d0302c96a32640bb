// What the dashboard (dashboard.js) and the wall screen (wall.js) must do alike, in one place: the colour and dash
// of each stream in every view (tiles, charts, the wall), and a tile's category lines that add up to its total.
// Plain JS, no build step; everything hangs off one frozen object so the pages' own top-level names never clash.
"use strict";

const SHARED = (() => {
  // Line colours with at least 3:1 contrast on white (WCAG 1.4.11), told apart by dash pattern as well, so a chart
  // never depends on colour alone.
  const PALETTE = ["#0060a8", "#c23b00", "#00795a", "#a3367f", "#7a5a00", "#333333", "#6b4fa0", "#4f6d00"];
  const DASHES = [[], [12, 6], [3, 5], [14, 5, 3, 5], [7, 7], [2, 3], [18, 6], [9, 4, 2, 4]];
  // One entry per stream slug (and the synonyms stations use), so a stream keeps its colour whatever else is on
  // the screen: a site filter, another site's streams or a missing one never shift it.
  const STREAM_SLOTS = Object.freeze({
    plastic: 0, plastics: 0,
    shampoo_bottles: 1, bottles: 1,
    duvets: 2, duvet: 2,
    textile: 3, textiles: 3,
    clothes: 3,
    cd_dvd: 6, media: 6,
  });
  // Slots left for streams not listed above: the same slug always lands on the same one.
  const SPARE = [4, 7, 5];
  // The "others" line that sums the smallest series: grey and dotted, never a stream's colour.
  const OTHERS = Object.freeze({ colour: "#595959", dash: [2, 4] });

  function slotOf(slug) {
    const key = String(slug ?? "").toLowerCase();
    if (Object.hasOwn(STREAM_SLOTS, key)) return STREAM_SLOTS[key];
    let hash = 0;
    for (const char of key) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
    return SPARE[hash % SPARE.length];
  }

  /** The colour and dash pattern of a stream, the same in every view. */
  function streamStyle(slug) {
    const slot = slotOf(slug);
    return Object.freeze({ colour: PALETTE[slot], dash: DASHES[slot] });
  }

  /** The colour and dash of the n-th line of a chart that is not by stream (sites, stations, categories). */
  function lineStyle(index) {
    return Object.freeze({ colour: PALETTE[index % PALETTE.length], dash: DASHES[index % DASHES.length] });
  }

  /** A tile's category lines, heaviest first: all of them when they fit in `max` lines, else the top `max - 1`
   *  and one "+ n more" line with the rest's kg and items, so the lines always add up to the tile's total. */
  function categoryLines(byCategory, max) {
    const rows = [...(byCategory || [])].sort((a, b) => b.kg - a.kg || String(a.category).localeCompare(String(b.category)));
    if (rows.length <= max) return { shown: rows, more: null };
    const shown = rows.slice(0, Math.max(1, max - 1));
    const rest = rows.slice(shown.length);
    return {
      shown,
      more: {
        count: rest.length,
        kg: rest.reduce((sum, row) => sum + (row.kg || 0), 0),
        items: rest.reduce((sum, row) => sum + (row.items || 0), 0),
      },
    };
  }

  return Object.freeze({ streamStyle, lineStyle, categoryLines, OTHERS, PALETTE });
})();
