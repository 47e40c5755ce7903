// The micrograd graph viewer: draws a graph on a canvas, collapsed by scope, and exposes
// window.microgradView for scripts and tests. Python (toolkit/view.py) gives every item (a node,
// or a child scope) its column and row inside the scope holding it; this script turns them into
// positions and sizes for the scopes that are open, again whenever one opens or closes.
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("graph-data").textContent);
  const N = DATA.nodes;
  const GEOMETRY = DATA.geometry;
  const NW = GEOMETRY.nodeWidth;
  const NH = GEOMETRY.nodeHeight;
  const SW = GEOMETRY.scopeWidth;
  const SH = GEOMETRY.scopeHeight;
  const HEADER = GEOMETRY.header;
  const PAD = GEOMETRY.padding;
  const COLUMN_GAP = GEOMETRY.columnGap;
  const ROW_GAP = GEOMETRY.rowGap;
  const KIND = Uint8Array.from(DATA.kind);
  const OP = Uint16Array.from(DATA.op);
  const BOX = Int32Array.from(DATA.box);
  const ENDS = Int32Array.from(DATA.edgeEnds);
  const E = ENDS.length / 2;
  const B = DATA.boxes.length;
  const PARENT = Int32Array.from(DATA.boxParent);
  // Positions for the current expansion state (see layout()): nodes' top-left corners, and boxes'
  // rectangles (x, y, width, height flat; box 0 is the whole graph).
  const X = new Float64Array(N);
  const Y = new Float64Array(N);
  const RECT = new Float64Array(4 * B);
  const NONFINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity };
  const SYMBOLS = { add: "+", sub: "\u2212", mul: "\u00d7", div: "\u00f7", pow: "^", neg: "\u2212x" };

  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d", { alpha: false });
  const $ = (id) => document.getElementById(id);

  // ---- graph indexes ---------------------------------------------------------------------

  const operandStart = new Int32Array(N + 1);
  const consumerStart = new Int32Array(N + 1);
  for (let e = 0; e < E; e++) {
    operandStart[ENDS[2 * e + 1] + 1]++;
    consumerStart[ENDS[2 * e] + 1]++;
  }
  for (let i = 0; i < N; i++) {
    operandStart[i + 1] += operandStart[i];
    consumerStart[i + 1] += consumerStart[i];
  }
  const operandList = new Int32Array(E);
  const consumerList = new Int32Array(E);
  {
    const nextOperand = operandStart.slice(0, N);
    const nextConsumer = consumerStart.slice(0, N);
    for (let e = 0; e < E; e++) {
      const source = ENDS[2 * e], target = ENDS[2 * e + 1];
      operandList[nextOperand[target]++] = source;
      consumerList[nextConsumer[source]++] = target;
    }
  }
  const operandsOf = (i) => Array.from(operandList.subarray(operandStart[i], operandStart[i + 1]));
  const resultsOf = (i) => Array.from(consumerList.subarray(consumerStart[i], consumerStart[i + 1]));

  const indexOfId = new Map();
  DATA.ids.forEach((id, i) => indexOfId.set(String(id), i));
  const boxOfName = new Map();
  DATA.boxes.forEach((name, b) => {
    if (b > 0) boxOfName.set(name, b);
    DATA.boxAliases[b].forEach((alias) => boxOfName.set(alias, b));
  });
  const labelIndex = new Map();
  DATA.label.forEach((label, i) => {
    if (label && !labelIndex.has(label)) labelIndex.set(label, i);
  });
  const boxDepth = new Int32Array(B);
  for (let b = 1; b < B; b++) boxDepth[b] = boxDepth[PARENT[b]] + 1;

  const number = (value) => (typeof value === "string" ? NONFINITE[value] : value);
  const dataOf = (i) => DATA.data[i];
  const gradOf = (i) => (DATA.grad ? DATA.grad[i] : null);

  // ---- items of each box, by column and row -------------------------------------------------

  // An item is a node i, or a box b as N + b. Each box's items, ordered by column then row.
  const COLUMN = Int32Array.from([...DATA.column, ...DATA.boxColumn]);
  const ROW = Int32Array.from([...DATA.row, ...DATA.boxRow]);
  const itemStart = new Int32Array(B + 1);
  for (let i = 0; i < N; i++) itemStart[BOX[i] + 1]++;
  for (let b = 1; b < B; b++) itemStart[PARENT[b] + 1]++;
  for (let b = 0; b < B; b++) itemStart[b + 1] += itemStart[b];
  const itemList = new Int32Array(N + B - 1);
  {
    const next = itemStart.slice(0, B);
    for (let i = 0; i < N; i++) itemList[next[BOX[i]]++] = i;
    for (let b = 1; b < B; b++) itemList[next[PARENT[b]]++] = N + b;
    const order = (p, q) => COLUMN[p] - COLUMN[q] || ROW[p] - ROW[q];
    for (let b = 0; b < B; b++) itemList.subarray(itemStart[b], itemStart[b + 1]).sort(order);
  }

  // ---- layout ----------------------------------------------------------------------------

  const boxWidth = new Float64Array(B);
  const boxHeight = new Float64Array(B);
  const itemWidth = (k) => (k < N ? NW : boxWidth[k - N]);
  const itemHeight = (k) => (k < N ? NH : boxHeight[k - N]);

  // Where each item sits in the box holding it, relative to the box's top-left corner: set when
  // the box is measured, used when it is placed.
  const relX = new Float64Array(N + B);
  const relY = new Float64Array(N + B);

  // Box b's columns as {start, end, w, h}: its items itemList[start .. end), the column's width
  // (its widest item) and height (its items stacked).
  function columnsOf(b) {
    const columns = [], end = itemStart[b + 1];
    for (let k = itemStart[b]; k < end;) {
      const column = COLUMN[itemList[k]];
      let j = k, w = 0, h = -ROW_GAP;
      for (; j < end && COLUMN[itemList[j]] === column; j++) {
        w = Math.max(w, itemWidth(itemList[j]));
        h += itemHeight(itemList[j]) + ROW_GAP;
      }
      columns.push({ start: k, end: j, w, h });
      k = j;
    }
    return columns;
  }

  // An open box's size, and where its items sit in it: its columns side by side, left to right
  // (never wrapped, so that every arrow between its items runs rightwards), each centred on the
  // box's middle line, each item centred in its column, in a frame with a title bar (the whole
  // graph, box 0, has no frame).
  function measure(b) {
    const frame = b > 0 ? 1 : 0;
    const columns = columnsOf(b);
    const top = frame * (HEADER + PAD);
    let tallest = 0;
    for (const c of columns) tallest = Math.max(tallest, c.h);
    let left = frame * PAD;
    for (const c of columns) {
      let y = top + (tallest - c.h) / 2;
      for (let k = c.start; k < c.end; k++) {
        const item = itemList[k];
        relX[item] = left + (c.w - itemWidth(item)) / 2;
        relY[item] = y;
        y += itemHeight(item) + ROW_GAP;
      }
      left += c.w + COLUMN_GAP;
    }
    boxWidth[b] = left - COLUMN_GAP + frame * PAD;
    boxHeight[b] = top + tallest + frame * PAD;
  }

  function place(b) {
    const x = RECT[4 * b], y = RECT[4 * b + 1];
    for (let k = itemStart[b]; k < itemStart[b + 1]; k++) {
      const item = itemList[k];
      if (item < N) {
        X[item] = x + relX[item];
        Y[item] = y + relY[item];
      } else {
        const c = item - N;
        RECT[4 * c] = x + relX[item]; RECT[4 * c + 1] = y + relY[item];
        RECT[4 * c + 2] = boxWidth[c]; RECT[4 * c + 3] = boxHeight[c];
      }
    }
  }

  // Sizes from the innermost box out (children follow their parent in pre-order), then positions
  // from the whole graph in. Boxes inside a closed box are skipped.
  function layout() {
    for (let b = B - 1; b >= 0; b--) {
      if (boxShown[b] === b) { boxWidth[b] = SW; boxHeight[b] = SH; }
      else if (boxShown[b] === -1) measure(b);
    }
    RECT[0] = 0; RECT[1] = 0; RECT[2] = boxWidth[0]; RECT[3] = boxHeight[0];
    for (let b = 0; b < B; b++) if (boxShown[b] === -1) place(b);
  }

  // ---- spatial index ---------------------------------------------------------------------

  // Uniform grids over the laid-out graph, set with the layout, so that a frame visits what is
  // in view: the shown nodes by the cell of their centre, on the finest level; each arrow on the
  // finest level where it spans a few cells (each level's cells are 4 times as wide as the one
  // before), in the cells along its path.
  const GRID_SIDE = 128; // cells along the graph's longer side on the finest level, at most
  const space = { x: 0, y: 0, levels: [], cells: 0 };
  let stamp = 0; // counts the frames' gatherings of arrows, so that one visits an arrow once

  function setSpace() {
    space.x = RECT[0];
    space.y = RECT[1];
    space.levels = [];
    let offset = 0;
    for (let cell = Math.max(NW + COLUMN_GAP, Math.max(RECT[2], RECT[3]) / GRID_SIDE); ; cell *= 4) {
      const columns = Math.max(1, Math.ceil(RECT[2] / cell)), rows = Math.max(1, Math.ceil(RECT[3] / cell));
      space.levels.push({ cell, columns, rows, offset });
      offset += columns * rows;
      if (columns === 1 && rows === 1) break;
    }
    space.cells = offset;
  }

  const columnAt = (level, x) => Math.min(level.columns - 1, Math.max(0, Math.floor((x - space.x) / level.cell)));
  const rowAt = (level, y) => Math.min(level.rows - 1, Math.max(0, Math.floor((y - space.y) / level.cell)));

  // The items 0 .. count - 1 by cell: cellsOf(k, add) calls add(cell) for each cell item k touches.
  function index(count, cellsOf) {
    let items = new Int32Array(count + 64), cells = new Int32Array(count + 64), used = 0, k = 0;
    const add = (cell) => {
      if (used === items.length) {
        const more = new Int32Array(2 * used), moreCells = new Int32Array(2 * used);
        more.set(items); moreCells.set(cells);
        items = more; cells = moreCells;
      }
      items[used] = k; cells[used++] = cell;
    };
    for (; k < count; k++) cellsOf(k, add);
    const start = new Int32Array(space.cells + 1);
    for (let j = 0; j < used; j++) start[cells[j] + 1]++;
    for (let c = 0; c < space.cells; c++) start[c + 1] += start[c];
    const list = new Int32Array(used), next = start.slice(0, space.cells);
    for (let j = 0; j < used; j++) list[next[cells[j]]++] = items[j];
    return { start, list };
  }

  function nodeCell(k, add) {
    const i = shownNodes[k], level = space.levels[0];
    add(rowAt(level, Y[i] + NH / 2) * level.columns + columnAt(level, X[i] + NW / 2));
  }

  // The cells an arrow passes through: those around each piece of its line, cut at most every
  // half cell, and of its curve when it has one (a near frame draws the curve, or the line when
  // the arrow is longer than the window).
  function arrowCells(set, k, add) {
    const g = set.geometry, x0 = g[4 * k], y0 = g[4 * k + 1], x1 = g[4 * k + 2], y1 = g[4 * k + 3];
    const length = Math.abs(x1 - x0) + Math.abs(y1 - y0);
    let l = 0;
    while (l < space.levels.length - 1 && length > 4 * space.levels[l].cell) l++;
    const level = space.levels[l];
    const pieces = Math.max(1, Math.ceil((2 * length) / level.cell));
    const walk = (curve) => {
      let px = x0, py = y0, last = -1;
      for (let j = 1; j <= pieces; j++) {
        const t = j / pieces, u = 1 - t;
        const x = curve ? u * u * u * x0 + t * t * t * x1 + 1.5 * t * u * (x0 + x1) : x0 + (x1 - x0) * t;
        const y = curve ? y0 + (y1 - y0) * t * t * (3 - 2 * t) : y0 + (y1 - y0) * t;
        const c0 = columnAt(level, Math.min(px, x)), c1 = columnAt(level, Math.max(px, x));
        const r0 = rowAt(level, Math.min(py, y)), r1 = rowAt(level, Math.max(py, y));
        for (let r = r0; r <= r1; r++) {
          for (let c = c0; c <= c1; c++) {
            const cell = level.offset + r * level.columns + c;
            if (cell !== last) add(cell);
            last = cell;
          }
        }
        px = x; py = y;
      }
    };
    walk(false);
    if (set.curved[k] && x1 > x0 && y1 !== y0) walk(true);
  }

  // Calls visit(cell) for the cells under the window grown by margin, on the levels given.
  function cellsIn(view, margin, levels, visit) {
    for (let l = 0; l < levels; l++) {
      const level = space.levels[l];
      const c0 = columnAt(level, view.left - margin), c1 = columnAt(level, view.right + margin);
      const r0 = rowAt(level, view.top - margin), r1 = rowAt(level, view.bottom + margin);
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) visit(level.offset + r * level.columns + c);
    }
  }

  // The shown nodes whose rectangle, grown to w by h, meets the window.
  function nodesIn(view, w, h) {
    const found = [], { start, list } = nodeGrid;
    cellsIn(view, Math.max(w, h, space.levels[0].cell / 2), 1, (cell) => {
      for (let j = start[cell]; j < start[cell + 1]; j++) {
        const i = shownNodes[list[j]], x = X[i], y = Y[i];
        if (x <= view.right && x + w >= view.left && y <= view.bottom && y + h >= view.top) found.push(i);
      }
    });
    return found;
  }

  // The arrows of a set that pass through the cells under the window, each once.
  function arrowsIn(set, view) {
    const found = [], { start, list } = set.grid, seen = set.seen;
    stamp++;
    cellsIn(view, NH, space.levels.length, (cell) => {
      for (let j = start[cell]; j < start[cell + 1]; j++) {
        const k = list[j];
        if (seen[k] !== stamp) { seen[k] = stamp; found.push(k); }
      }
    });
    return found;
  }

  // ---- expansion state and what it shows -------------------------------------------------

  const open = new Uint8Array(B);
  open[0] = 1;
  let selected = -1;
  let lineageOn = false;
  let colourMode = "op";
  // Derived from the expansion state (see derive()).
  const boxShown = new Int32Array(B); // -1: open and shown as a frame; else the closed box drawn for it
  let shownNodes = new Int32Array(0);
  let closedBoxes = [];
  let openFrames = [];
  const hasOpenChild = new Uint8Array(B);
  let arrows = null; // one per pair of shown elements: what a near frame draws
  let bundles = null; // one per pair of innermost open scopes (or closed boxes): what a far one draws
  let nodeGrid = null;
  let palette = []; // the fill colours of the shown nodes; colourOf[i] indexes it
  let runs = null;
  const colourOf = new Int32Array(N);
  const lit = new Uint8Array(N); // 1 selected, 2 ancestor, 3 descendant
  const boxLit = new Uint8Array(B);

  function derive() {
    for (let b = 0; b < B; b++) {
      const above = b === 0 ? -1 : boxShown[PARENT[b]];
      boxShown[b] = above !== -1 ? above : open[b] ? -1 : b;
    }
    const nodes = [];
    for (let i = 0; i < N; i++) if (boxShown[BOX[i]] === -1) nodes.push(i);
    shownNodes = Int32Array.from(nodes);
    closedBoxes = [];
    openFrames = [];
    hasOpenChild.fill(0);
    for (let b = 1; b < B; b++) {
      if (boxShown[b] === b) closedBoxes.push(b);
      else if (boxShown[b] === -1) { openFrames.push(b); hasOpenChild[PARENT[b]] = 1; }
    }
    layout();
    setSpace();
    nodeGrid = index(shownNodes.length, nodeCell);
    deriveArrows();
    bucketNodes();
  }

  const elementOf = (i) => (boxShown[BOX[i]] === -1 ? i : N + boxShown[BOX[i]]);

  // Where a far frame ends a node's edges: the closed box drawn for it, or the open scope holding
  // it when no open scope lies inside that one; else (as outside every scope) the node itself.
  function groupOf(i) {
    const b = BOX[i], shown = boxShown[b];
    if (shown !== -1) return N + shown;
    return b > 0 && !hasOpenChild[b] ? N + b : i;
  }

  function rectOf(element) {
    if (element < N) return [X[element], Y[element], NW, NH];
    const b = element - N;
    return [RECT[4 * b], RECT[4 * b + 1], RECT[4 * b + 2], RECT[4 * b + 3]];
  }

  function deriveArrows() {
    arrows = arrowSet(elementOf);
    bundles = arrowSet(groupOf);
    relight();
  }

  // Marks the arrows of both sets that stand for an edge of the selected node's lineage.
  function relight() {
    for (const set of [arrows, bundles]) {
      set.lit.fill(0);
      if (!lineageOn) continue;
      for (let e = 0; e < E; e++) {
        const k = set.arrowOf[e];
        if (k >= 0 && edgeLit(ENDS[2 * e], ENDS[2 * e + 1])) set.lit[k] = 1;
      }
    }
  }

  // An arrow per pair of the elements that endOf gives the ends of an edge (nodes, or boxes as
  // N + b), counting the edges it stands for, with its end points computed once and a grid of
  // the cells it passes through, so that a frame only gathers, culls and strokes.
  function arrowSet(endOf) {
    const keys = new Map();
    const source = [], target = [], count = [];
    const arrowOf = new Int32Array(E).fill(-1);
    for (let e = 0; e < E; e++) {
      const u = ENDS[2 * e], v = ENDS[2 * e + 1];
      const a = endOf(u), b = endOf(v);
      if (a === b) continue;
      const key = a * (N + B) + b;
      let k = keys.get(key);
      if (k === undefined) {
        k = source.length;
        keys.set(key, k);
        source.push(a); target.push(b); count.push(0);
      }
      count[k]++;
      arrowOf[e] = k;
    }
    const n = source.length;
    const geometry = new Float64Array(4 * n);
    const curved = new Uint8Array(n);
    const weight = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const from = rectOf(source[k]), to = rectOf(target[k]);
      curved[k] = from[0] + from[2] <= to[0] ? 1 : 0;
      const between = source[k] < N && target[k] < N;
      weight[k] = between ? 0 : endOf === elementOf ? 1 : 2 + Math.min(3, Math.floor(Math.log10(count[k])));
    }
    const leave = ports(source, target, curved), enter = ports(target, source, curved);
    for (let k = 0; k < n; k++) {
      const from = rectOf(source[k]), to = rectOf(target[k]);
      const ends = curved[k] ? [from[0] + from[2], leave[k], to[0], enter[k]] : arrowEnds(from, to);
      geometry.set(ends, 4 * k);
    }
    const set = {
      n, source: Int32Array.from(source), target: Int32Array.from(target), count: Int32Array.from(count),
      lit: new Uint8Array(n), arrowOf, geometry, curved, weight, seen: new Uint32Array(n), grid: null,
    };
    set.grid = index(n, (k, add) => arrowCells(set, k, add));
    return set;
  }

  // The height at which each arrow leaves (or enters) the element at its own end: the middle, but
  // a closed box spreads the arrows running right from (into) it along its side, in the order of
  // the elements at their other ends, so that they and their counts do not lie on each other.
  function ports(own, other, forward) {
    const y = new Float64Array(own.length);
    const sides = new Map();
    for (let k = 0; k < own.length; k++) {
      const r = rectOf(own[k]);
      y[k] = r[1] + r[3] / 2;
      if (own[k] < N || !forward[k]) continue;
      if (!sides.has(own[k])) sides.set(own[k], []);
      sides.get(own[k]).push(k);
    }
    const middle = (element) => { const r = rectOf(element); return r[1] + r[3] / 2; };
    for (const [element, list] of sides) {
      if (list.length < 2) continue;
      const r = rectOf(element);
      list.sort((p, q) => middle(other[p]) - middle(other[q]) || other[p] - other[q]);
      list.forEach((k, j) => { y[k] = r[1] + (r[3] * (j + 1)) / (list.length + 1); });
    }
    return y;
  }

  function edgeLit(u, v) {
    const a = lit[u], b = lit[v];
    return (a === 2 && (b === 1 || b === 2)) || (b === 3 && (a === 1 || a === 3));
  }

  // From the right side of the source to the left side of the target when the target lies to
  // the right; otherwise the line between the centres, cut at both rectangles' borders.
  function arrowEnds(s, t) {
    if (s[0] + s[2] <= t[0]) return [s[0] + s[2], s[1] + s[3] / 2, t[0], t[1] + t[3] / 2];
    const sx = s[0] + s[2] / 2, sy = s[1] + s[3] / 2, tx = t[0] + t[2] / 2, ty = t[1] + t[3] / 2;
    const dx = tx - sx, dy = ty - sy;
    const leave = exitFraction(s, dx, dy), enter = exitFraction(t, -dx, -dy);
    return [sx + dx * leave, sy + dy * leave, tx - dx * enter, ty - dy * enter];
  }

  function exitFraction(r, dx, dy) {
    const fx = dx === 0 ? Infinity : r[2] / 2 / Math.abs(dx);
    const fy = dy === 0 ? Infinity : r[3] / 2 / Math.abs(dy);
    return Math.min(fx, fy, 0.5);
  }

  function setLineage() {
    lit.fill(0);
    boxLit.fill(0);
    if (!lineageOn || selected < 0) return;
    walk(selected, operandStart, operandList, 2);
    walk(selected, consumerStart, consumerList, 3);
    lit[selected] = 1;
    for (let i = 0; i < N; i++) {
      if (!lit[i]) continue;
      for (let b = BOX[i]; b > 0; b = PARENT[b]) boxLit[b] = 1;
    }
  }

  function walk(start, starts, list, flag) {
    const stack = [start];
    while (stack.length) {
      const i = stack.pop();
      for (let k = starts[i]; k < starts[i + 1]; k++) {
        const j = list[k];
        if (!lit[j]) { lit[j] = flag; stack.push(j); }
      }
    }
  }

  // ---- colours ---------------------------------------------------------------------------

  const KIND_COLOURS = { parameter: "#a8dca0", input: "#a5c8ee", constant: "#dcdcdc" };
  const OP_COLOURS = {
    add: "#fdd49e", sub: "#fcbba1", mul: "#fdae6b", div: "#f7a8c8", pow: "#d4b9da",
    neg: "#e7cfe8", exp: "#ffe38a", log: "#e8d98f", tanh: "#99d8c9", relu: "#c2dc8c",
    sigmoid: "#c6c2ee",
  };
  const SPARE = ["#b3cde3", "#ccebc5", "#decbe4", "#fed9a6", "#e5d8bd", "#fddaec"];
  const NO_GRAD = "#d9d9d9", ZERO_GRAD = "#f1f1f1", NONFINITE_COLOUR = "#e8336d";
  const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  const RAMP_STEPS = 32;
  const rampColours = Array.from({ length: RAMP_STEPS }, (_, k) => rampAt(k / (RAMP_STEPS - 1)));
  const gradRange = logGradRange();

  function rampAt(t) {
    const p = t * (RAMP.length - 1), k = Math.min(Math.floor(p), RAMP.length - 2), f = p - k;
    const a = hex(RAMP[k]), b = hex(RAMP[k + 1]);
    const mix = a.map((c, j) => Math.round(c + (b[j] - c) * f));
    return `rgb(${mix[0]},${mix[1]},${mix[2]})`;
  }

  const darkness = new Map();
  function isDark(colour) {
    if (!darkness.has(colour)) {
      const rgb = colour.startsWith("#") ? hex(colour) : (colour.match(/\d+/g) || [255, 255, 255]).map(Number);
      const dark = colour.startsWith("hsl") ? false : 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 140;
      darkness.set(colour, dark);
    }
    return darkness.get(colour);
  }

  function hex(colour) {
    return [1, 3, 5].map((k) => parseInt(colour.slice(k, k + 2), 16));
  }

  function logGradRange() {
    let low = Infinity, high = -Infinity;
    if (DATA.grad) {
      for (const g of DATA.grad) {
        const size = Math.abs(number(g));
        if (size > 0 && Number.isFinite(size)) {
          const l = Math.log10(size);
          if (l < low) low = l;
          if (l > high) high = l;
        }
      }
    }
    if (low > high) return null;
    return { low, high: high > low ? high : low + 1 };
  }

  function opColour(i) {
    const kind = DATA.kinds[KIND[i]];
    if (kind !== "operation") return KIND_COLOURS[kind];
    const name = DATA.ops[OP[i]];
    return OP_COLOURS[name] || SPARE[OP[i] % SPARE.length];
  }

  function gradColour(g) {
    if (g === null) return NO_GRAD;
    const size = Math.abs(number(g));
    if (!Number.isFinite(size)) return NONFINITE_COLOUR;
    if (size === 0 || !gradRange) return ZERO_GRAD;
    const t = (Math.log10(size) - gradRange.low) / (gradRange.high - gradRange.low);
    return rampColours[Math.max(0, Math.min(RAMP_STEPS - 1, Math.round(t * (RAMP_STEPS - 1))))];
  }

  // Colour by scope: each top-level scope (data, layers, loss) its own hue, from a palette of
  // hues well apart, and every scope inside it that hue too, so that a colour names one part of
  // the model; past the palette, hues a golden angle apart. Outside every scope: grey.
  const SCOPE_PALETTE = [
    "#9ecae9", "#ffbe7d", "#8cd17d", "#ff9d9a", "#d4a6c8", "#f1ce63", "#86bcb6", "#fabfd2",
    "#d7b5a6", "#b9c1f0",
  ];
  const topScope = new Int32Array(B); // each box's top-level box (0 for the whole graph)
  const topScopes = [];
  for (let b = 1; b < B; b++) {
    topScope[b] = PARENT[b] === 0 ? b : topScope[PARENT[b]];
    if (topScope[b] === b) topScopes.push(b);
  }
  const scopeColours = new Array(B).fill("#e4e4e8");
  topScopes.forEach((b, k) => {
    scopeColours[b] = k < SCOPE_PALETTE.length ? SCOPE_PALETTE[k]
      : `hsl(${Math.round((k * 137.508) % 360)}, 60%, ${k % 2 ? 78 : 70}%)`;
  });
  for (let b = 1; b < B; b++) scopeColours[b] = scopeColours[topScope[b]];

  function nodeColour(i) {
    if (colourMode === "scope") return scopeColours[BOX[i]];
    if (colourMode === "grad") return gradColour(gradOf(i));
    return opColour(i);
  }

  // Per box, over the nodes inside it: the largest finite |grad| (null for none), and how many
  // have a non-finite grad or data. A closed box is coloured by its largest finite |grad|, so
  // that the nan gradients a graph may rightly hold (a constant exponent's, as torch gives) do
  // not hide the others; its text and tooltip say how many are non-finite.
  const boxLargestGrad = new Array(B).fill(null);
  const boxNonFiniteGrads = new Int32Array(B);
  const boxNonFiniteData = new Int32Array(B);
  for (let i = 0; i < N; i++) {
    const size = DATA.grad ? Math.abs(number(DATA.grad[i])) : null;
    const badData = typeof DATA.data[i] === "string";
    for (let b = BOX[i]; ; b = PARENT[b]) {
      if (size !== null && !Number.isFinite(size)) boxNonFiniteGrads[b]++;
      else if (size !== null && (boxLargestGrad[b] === null || size > boxLargestGrad[b])) boxLargestGrad[b] = size;
      if (badData) boxNonFiniteData[b]++;
      if (b === 0) break;
    }
  }

  function boxGradColour(b) {
    if (!DATA.grad) return NO_GRAD;
    return boxLargestGrad[b] === null ? NONFINITE_COLOUR : gradColour(boxLargestGrad[b]);
  }

  function boxColour(b) {
    if (colourMode === "scope") return scopeColours[b];
    if (colourMode === "grad") return lighter(boxGradColour(b));
    return "#e6e3f3";
  }

  function lighter(colour) {
    const rgb = colour.startsWith("#") ? hex(colour) : colour.match(/\d+/g).map(Number);
    const mixed = rgb.map((c) => Math.round(c + (255 - c) * 0.55));
    return `rgb(${mixed[0]},${mixed[1]},${mixed[2]})`;
  }

  // Each shown node's fill colour, as an index into palette, so that a frame fills the nodes
  // of one colour in one path; and the runs of nodes one under the other in a column, of one
  // colour and all lit or all not, which far out are drawn as one rectangle each.
  function bucketNodes() {
    const colours = new Map();
    for (const i of shownNodes) {
      const colour = nodeColour(i);
      if (!colours.has(colour)) colours.set(colour, colours.size);
      colourOf[i] = colours.get(colour);
    }
    palette = [...colours.keys()];
    const first = [], last = [];
    const pitch = NH + ROW_GAP;
    for (const b of [0, ...openFrames]) {
      let previous = -1;
      for (let k = itemStart[b]; k < itemStart[b + 1]; k++) {
        const i = itemList[k];
        const joins = i < N && previous >= 0 && X[i] === X[previous] && Math.abs(Y[i] - Y[previous] - pitch) < 1e-6
          && colourOf[i] === colourOf[previous] && !lit[i] === !lit[previous];
        if (joins) last[last.length - 1] = i;
        else if (i < N) { first.push(i); last.push(i); }
        previous = i < N ? i : -1;
      }
    }
    runs = { first: Int32Array.from(first), last: Int32Array.from(last) };
  }

  // ---- camera ----------------------------------------------------------------------------

  const camera = { x: 0, y: 0, scale: 1 };
  let width = 1, height = 1, ratio = 1;

  function resize() {
    const box = canvas.getBoundingClientRect();
    ratio = window.devicePixelRatio || 1;
    width = Math.max(1, box.width);
    height = Math.max(1, box.height);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }

  // The part of the canvas a fitted picture goes in: clear of the legend, when it is open.
  function clearArea() {
    const margin = 40;
    const area = { left: margin, top: margin, right: width - margin, bottom: height - margin };
    const legend = $("legend-box");
    if (legend && legend.open) {
      const stage = canvas.getBoundingClientRect(), box = legend.getBoundingClientRect();
      const right = box.right - stage.left + 16;
      if (width - right - margin > 0.6 * (width - 2 * margin)) area.left = right;
    }
    return area;
  }

  function fitRect(x, y, w, h, most) {
    const area = clearArea();
    const across = area.right - area.left, down = area.bottom - area.top;
    const scale = Math.min(across / Math.max(w, 1), down / Math.max(h, 1));
    camera.scale = Math.min(scale, most || 1.5);
    camera.x = x + w / 2 - (area.left + across / 2) / camera.scale;
    camera.y = y + h / 2 - (area.top + down / 2) / camera.scale;
  }

  function fit() {
    fitRect(RECT[0], RECT[1], RECT[2], RECT[3]);
    requestDraw();
  }

  // Runs change() (which opens or closes scopes) keeping box b's top-left corner where it was on
  // screen, or, when b is inside a closed box, that box's.
  function keepingPlace(b, change) {
    const anchor = b > 0 && boxShown[b] >= 0 ? boxShown[b] : b;
    const before = anchor > 0 ? screenRect(anchor) : null;
    change();
    if (!before || (boxShown[anchor] !== anchor && boxShown[anchor] !== -1)) return;
    camera.x = RECT[4 * anchor] - before.x / camera.scale;
    camera.y = RECT[4 * anchor + 1] - before.y / camera.scale;
  }

  // After a click opened box b: zoom out (down to a floor where nodes still read as boxes) and
  // pan just enough that as much of it as fits is on screen, its top-left corner first.
  function bringIntoView(b) {
    const margin = 24, floor = 0.3;
    const w = RECT[4 * b + 2], h = RECT[4 * b + 3];
    const r = screenRect(b);
    const fits = Math.min((width - 2 * margin) / w, (height - 2 * margin) / h);
    const scale = fits >= camera.scale ? camera.scale : Math.max(fits, Math.min(camera.scale, floor));
    const sx = clampInto(r.x, w * scale, width, margin), sy = clampInto(r.y, h * scale, height, margin);
    camera.scale = scale;
    camera.x = RECT[4 * b] - sx / scale;
    camera.y = RECT[4 * b + 1] - sy / scale;
  }

  // Where a span of the given size starting at start goes on a screen of size room: where it is
  // if it fits there, else moved back just enough, but never starting before the margin.
  function clampInto(start, size, room, margin) {
    return Math.max(margin, Math.min(start, room - margin - size));
  }

  // Zoom stays between an eighth of the scale that fits the whole graph (of zoom 1, for a graph
  // that fits larger), where the graph is still a shape, and MOST_ZOOM, where a node's text is
  // three times its size at zoom 1. A factor or a pan that is not a finite number (a factor not
  // above 0) is ignored.
  const MOST_ZOOM = 3;
  function leastZoom() {
    const area = clearArea();
    const fits = Math.min((area.right - area.left) / Math.max(RECT[2], 1), (area.bottom - area.top) / Math.max(RECT[3], 1));
    return Math.min(fits, 1) / 8;
  }

  function zoomAt(factor, sx, sy) {
    if (!(Number.isFinite(factor) && factor > 0)) return;
    const scale = Math.min(MOST_ZOOM, Math.max(Math.min(leastZoom(), camera.scale), camera.scale * factor));
    const wx = camera.x + sx / camera.scale, wy = camera.y + sy / camera.scale;
    camera.scale = scale;
    camera.x = wx - sx / scale;
    camera.y = wy - sy / scale;
    requestDraw();
  }

  function panBy(dx, dy) {
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) return;
    camera.x -= dx / camera.scale;
    camera.y -= dy / camera.scale;
    requestDraw();
  }

  function centreOn(wx, wy, scale) {
    if (scale) camera.scale = scale;
    camera.x = wx - width / 2 / camera.scale;
    camera.y = wy - height / 2 / camera.scale;
    requestDraw();
  }

  // ---- drawing ---------------------------------------------------------------------------

  let drawPending = false;
  function requestDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => { drawPending = false; draw(); });
  }

  // Nodes at least this many pixels tall are drawn with their edges one by one (and, at 22 pixels,
  // with their text); shorter, each scope's edges are drawn as bundles, one line per pair of
  // connected innermost open scopes, and nodes as plain rectangles.
  const NEAR = 5, READABLE = 22;
  // What the last frame drew: the arrows or bundles stroked, the edges they stand for, the nodes.
  let drawn = { detail: 0, arrows: 0, bundles: 0, edges: 0, nodes: 0, counted: 0, counts: 0, countLabels: 0 };

  function draw() {
    const s = camera.scale;
    const view = { left: camera.x, top: camera.y, right: camera.x + width / s, bottom: camera.y + height / s };
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#fbfbfd";
    ctx.fillRect(0, 0, width, height);
    ctx.setTransform(ratio * s, 0, 0, ratio * s, -camera.x * s * ratio, -camera.y * s * ratio);
    const detail = NH * s >= READABLE ? 2 : NH * s >= NEAR ? 1 : 0;
    drawn = { detail, arrows: 0, bundles: 0, edges: 0, nodes: 0, counted: 0, counts: 0, countLabels: 0 };
    drawFrames(view, s);
    const stroked = drawArrows(detail ? arrows : bundles, view, s, detail);
    drawClosedBoxes(view, s);
    drawNodes(view, s, detail);
    drawSelection(s);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    drawBoxTitles(view, s);
    if (detail === 2) drawArrowCounts(stroked, view, s);
  }

  const inView = (v, x, y, w, h) => x <= v.right && x + w >= v.left && y <= v.bottom && y + h >= v.top;

  function dimmed(flag) {
    return lineageOn && selected >= 0 && !flag;
  }

  function drawFrames(view, s) {
    for (const b of openFrames) {
      const x = RECT[4 * b], y = RECT[4 * b + 1], w = RECT[4 * b + 2], h = RECT[4 * b + 3];
      if (!inView(view, x, y, w, h)) continue;
      ctx.globalAlpha = dimmed(boxLit[b]) ? 0.35 : 1;
      ctx.fillStyle = boxDepth[b] % 2 ? "rgba(110, 100, 170, 0.045)" : "rgba(110, 100, 170, 0.07)";
      ctx.fillRect(x, y, w, h);
      ctx.fillStyle = colourMode === "scope" ? scopeColours[b] : "rgba(110, 100, 170, 0.16)";
      ctx.fillRect(x, y, w, HEADER);
      ctx.lineWidth = 1.2 / s;
      ctx.strokeStyle = "#8c84b8";
      ctx.strokeRect(x, y, w, h);
    }
    ctx.globalAlpha = 1;
  }

  // An arrow's weight: 0 between two nodes, 1 from or to a closed box, and for a bundle 2 to 5
  // by the number of edges it stands for (1, 10, 100, 1,000 or more). A bundle is a line under
  // a pixel wide (which the canvas draws several times faster than a wider one), the darker the
  // more edges it stands for.
  const STROKES = [
    null, ["#5c5f8a", 2.2], ["rgba(70, 74, 130, 0.35)", 0.95], ["rgba(70, 74, 130, 0.55)", 0.95],
    ["rgba(70, 74, 130, 0.75)", 0.95], ["rgba(60, 62, 120, 0.95)", 0.95],
  ];
  // Many crossing lines make one path slow to fill: they are stroked in batches of at most
  // this many, or this many longer than the window.
  const BATCH = 256, LONG_BATCH = 16;
  // Lines between two nodes are this many device pixels wide when near: under one pixel, which
  // the canvas draws several times faster than a wider line.
  const THIN = 0.95;

  // Strokes the arrows of a set that cross the window; returns those drawn in full colour.
  function drawArrows(set, view, s, detail) {
    const g = set.geometry;
    const candidates = arrowsIn(set, view);
    const passes = lineageOn && selected >= 0 ? [0, 1] : [-1];
    // Far out, an edge shorter than two pixels hides under the nodes it joins, and edges whose
    // ends fall in the same 2-pixel cells look like one: draw one of each. Nearer, the same goes
    // for edges that only pass through the window, both ends off screen. An edge longer than the
    // window is a straight line, drawn only when it crosses the window.
    const shortest = detail === 0 ? 2 / s : 0;
    const longest = Math.max(width, height) / s;
    const seen = segmentTable();
    const stroked = [];
    let crossing = 0;
    for (const pass of passes) {
      for (let weight = 0; weight < STROKES.length; weight++) {
        const [colour, lineWidth] = STROKES[weight] || ["rgba(95, 100, 125, 0.6)", detail ? THIN : 0.7];
        ctx.globalAlpha = pass === 0 ? 0.12 : 1;
        ctx.strokeStyle = pass === 1 ? "#d9480f" : colour;
        ctx.lineWidth = (weight === 1 ? lineWidth : lineWidth / ratio) / s;
        ctx.beginPath();
        let inPath = 0, longInPath = 0;
        for (const k of candidates) {
          if (set.weight[k] !== weight || (pass !== -1 && set.lit[k] !== pass)) continue;
          if (inPath === BATCH || longInPath === LONG_BATCH) {
            ctx.stroke();
            ctx.beginPath();
            inPath = 0;
            longInPath = 0;
          }
          const x0 = g[4 * k], y0 = g[4 * k + 1], x1 = g[4 * k + 2], y1 = g[4 * k + 3];
          if (Math.max(x0, x1) < view.left || Math.min(x0, x1) > view.right) continue;
          if (Math.max(y0, y1) < view.top || Math.min(y0, y1) > view.bottom) continue;
          const length = Math.abs(x1 - x0) + Math.abs(y1 - y0);
          if (length < shortest && !set.lit[k]) continue;
          if (length > longest) {
            // Only its part in the window, drawn once for all the parts that look alike.
            if (!clipToView(x0, y0, x1, y1, view)) continue;
            const [a, b, c, d] = clip;
            if (!set.lit[k] && (crossing >= MOST_CROSSING || !firstInCells(seen, a, b, c, d, view, s, 8))) continue;
            crossing++;
            longInPath++;
            ctx.moveTo(a, b);
            ctx.lineTo(c, d);
          } else {
            const passing = detail === 0 || (!inside(view, x0, y0) && !inside(view, x1, y1));
            if (passing && !set.lit[k] && !firstInCells(seen, x0, y0, x1, y1, view, s)) continue;
            ctx.moveTo(x0, y0);
            if (detail > 0 && set.curved[k] && x1 > x0) {
              const mx = (x0 + x1) / 2;
              ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1);
            } else {
              ctx.lineTo(x1, y1);
            }
          }
          inPath++;
          if (set === bundles) drawn.bundles++; else drawn.arrows++;
          drawn.edges += set.count[k];
          if (pass !== 0) stroked.push(k);
        }
        if (inPath) ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
    if (detail === 2) drawArrowHeads(candidates, view);
    return stroked;
  }

  const inside = (v, x, y) => x >= v.left && x <= v.right && y >= v.top && y <= v.bottom;

  // Lines longer than the window cost a frame its time by the pixels they cover: at most this
  // many are drawn (those that differ on screen by 8 pixels or more), which reads the same.
  const MOST_CROSSING = 400;

  // The part of the segment from (x0, y0) to (x1, y1) inside the window, grown by a margin, put
  // in clip (Liang-Barsky); false when there is none.
  const clip = new Float64Array(4);
  function clipToView(x0, y0, x1, y1, v) {
    const m = (v.right - v.left) * 0.02;
    const dx = x1 - x0, dy = y1 - y0;
    let low = 0, high = 1;
    const sides = [[-dx, x0 - v.left + m], [dx, v.right + m - x0], [-dy, y0 - v.top + m], [dy, v.bottom + m - y0]];
    for (const [p, q] of sides) {
      if (p === 0) { if (q < 0) return false; continue; }
      const t = q / p;
      if (p < 0) low = Math.max(low, t); else high = Math.min(high, t);
      if (low > high) return false;
    }
    clip[0] = x0 + low * dx; clip[1] = y0 + low * dy; clip[2] = x0 + high * dx; clip[3] = y0 + high * dy;
    return true;
  }

  function drawArrowHeads(candidates, view) {
    const g = arrows.geometry, size = 7;
    ctx.beginPath();
    for (const k of candidates) {
      const x1 = g[4 * k + 2], y1 = g[4 * k + 3];
      if (x1 < view.left || x1 > view.right || y1 < view.top || y1 > view.bottom) continue;
      const forward = arrows.curved[k] && x1 > g[4 * k];
      const angle = forward ? 0 : Math.atan2(y1 - g[4 * k + 1], x1 - g[4 * k]);
      const c = Math.cos(angle), d = Math.sin(angle);
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - size * c + size * 0.5 * d, y1 - size * d - size * 0.5 * c);
      ctx.lineTo(x1 - size * c - size * 0.5 * d, y1 - size * d + size * 0.5 * c);
      ctx.closePath();
    }
    ctx.fillStyle = "#5c5f8a";
    ctx.fill();
  }

  function drawClosedBoxes(view, s) {
    for (const b of closedBoxes) {
      const x = RECT[4 * b], y = RECT[4 * b + 1], w = RECT[4 * b + 2], h = RECT[4 * b + 3];
      if (!inView(view, x, y, w, h)) continue;
      ctx.globalAlpha = dimmed(boxLit[b]) ? 0.25 : 1;
      ctx.fillStyle = boxColour(b);
      ctx.fillRect(x, y, w, h);
      ctx.lineWidth = (lineageOn && boxLit[b] ? 3 : 1.5) / s;
      ctx.strokeStyle = lineageOn && boxLit[b] ? "#d9480f" : "#5f3dc4";
      ctx.strokeRect(x, y, w, h);
    }
    ctx.globalAlpha = 1;
  }

  // The shown nodes in the window, filled one path per colour; near, outlined and (readable)
  // with their text.
  function drawNodes(view, s, detail) {
    const least = 1.2 / s; // far out, a node is still a visible dot
    const w = Math.max(NW, least), h = Math.max(NH, least);
    if (detail === 0 && ROW_GAP * s < 0.5) { drawRuns(view, w, h); return; }
    const visible = nodesIn(view, w, h);
    const start = new Int32Array(palette.length + 1);
    for (const i of visible) start[colourOf[i] + 1]++;
    for (let c = 0; c < palette.length; c++) start[c + 1] += start[c];
    const byColour = new Int32Array(visible.length), next = start.slice(0, palette.length);
    for (const i of visible) byColour[next[colourOf[i]]++] = i;
    const passes = lineageOn && selected >= 0 ? [0, 1] : [-1];
    const onScreen = [];
    const taken = detail === 0 ? pixelGrid() : null;
    for (const pass of passes) {
      ctx.globalAlpha = pass === 0 ? 0.2 : 1;
      for (let c = 0; c < palette.length; c++) {
        ctx.beginPath();
        let inPath = 0;
        for (let j = start[c]; j < start[c + 1]; j++) {
          const i = byColour[j];
          if (pass !== -1 && (lit[i] ? 1 : 0) !== pass) continue;
          const x = X[i], y = Y[i];
          if (taken && pass !== 0) {
            // Far out, many nodes land on one pixel: draw one of them.
            const px = Math.floor((x - view.left) * s), py = Math.floor((y - view.top) * s);
            const inGrid = px >= 0 && py >= 0 && px < taken.columns && py < taken.rows;
            const cell = py * taken.columns + px;
            if (inGrid && taken.cells[cell]) continue;
            if (inGrid) taken.cells[cell] = 1;
          }
          ctx.rect(x, y, w, h);
          inPath++;
          if (detail === 2 && pass !== 0) onScreen.push(i);
        }
        if (!inPath) continue;
        drawn.nodes += inPath;
        ctx.fillStyle = palette[c];
        ctx.fill();
        if (detail) {
          ctx.lineWidth = 1 / s;
          ctx.strokeStyle = "rgba(40, 40, 60, 0.55)";
          ctx.stroke();
        }
      }
    }
    ctx.globalAlpha = 1;
    if (detail === 2) drawNodeText(onScreen);
  }

  // Far out, where the gaps between the nodes of a column are under half a pixel: a rectangle
  // per run of nodes (see bucketNodes), w wide and at least h tall, one path per colour.
  // Runs under two pixels tall that start on a pixel another has taken are left out (as in
  // drawNodes), unless lit.
  function drawRuns(view, w, h) {
    const paths = palette.map(() => [new Path2D(), new Path2D()]);
    const { first, last } = runs;
    const s = camera.scale, taken = pixelGrid(), small = 2 / s;
    for (let k = 0; k < first.length; k++) {
      const i = first[k], x = X[i], top = Y[i], bottom = Math.max(Y[last[k]] + NH, top + h);
      if (x > view.right || x + w < view.left || top > view.bottom || bottom < view.top) continue;
      if (bottom - top < small && !lit[i]) {
        const px = Math.floor((x - view.left) * s), py = Math.floor((top - view.top) * s);
        if (px >= 0 && py >= 0 && px < taken.columns && py < taken.rows) {
          const cell = py * taken.columns + px;
          if (taken.cells[cell]) continue;
          taken.cells[cell] = 1;
        }
      }
      paths[colourOf[i]][lit[i] ? 1 : 0].rect(x, top, w, bottom - top);
      drawn.nodes++;
    }
    const dim = lineageOn && selected >= 0;
    for (const shade of [0, 1]) {
      ctx.globalAlpha = dim && !shade ? 0.2 : 1;
      palette.forEach((colour, c) => { ctx.fillStyle = colour; ctx.fill(paths[c][shade]); });
    }
    ctx.globalAlpha = 1;
  }

  const SEGMENT_SLOTS = 1 << 18;
  let segments = null;
  function segmentTable() {
    if (!segments) segments = { keys: new Int32Array(4 * SEGMENT_SLOTS), used: new Uint8Array(SEGMENT_SLOTS) };
    segments.used.fill(0);
    return segments;
  }

  // Open addressing on the cells of both ends, cells the larger the longer the edge (a long
  // edge moved by a few pixels at its ends looks the same); false when that pair was drawn.
  function firstInCells(table, x0, y0, x1, y1, view, s, fixed) {
    const length = (Math.abs(x1 - x0) + Math.abs(y1 - y0)) * s;
    const cell = fixed || (length < 256 ? 2 : 2 << Math.min(6, Math.floor(Math.log2(length / 128))));
    const clamp = (v) => Math.max(-32000, Math.min(32000, Math.floor(v)));
    const a = clamp(((x0 - view.left) * s) / cell), b = clamp(((y0 - view.top) * s) / cell);
    const c = clamp(((x1 - view.left) * s) / cell), d = clamp(((y1 - view.top) * s) / cell) * 8 + Math.log2(cell);
    let slot = (Math.imul(a, 73856093) ^ Math.imul(b, 19349663) ^ Math.imul(c, 83492791) ^ Math.imul(d, 2654435761)) >>> 14;
    for (let probe = 0; probe < 64; probe++, slot = (slot + 1) & (SEGMENT_SLOTS - 1)) {
      const k = 4 * slot;
      if (!table.used[slot]) {
        table.used[slot] = 1;
        table.keys[k] = a; table.keys[k + 1] = b; table.keys[k + 2] = c; table.keys[k + 3] = d;
        return true;
      }
      if (table.keys[k] === a && table.keys[k + 1] === b && table.keys[k + 2] === c && table.keys[k + 3] === d) return false;
    }
    return true;
  }

  let pixels = null;
  function pixelGrid() {
    const columns = Math.ceil(width) + 1, rows = Math.ceil(height) + 1;
    if (!pixels || pixels.columns !== columns || pixels.rows !== rows) {
      pixels = { columns, rows, cells: new Uint8Array(columns * rows) };
    } else {
      pixels.cells.fill(0);
    }
    return pixels;
  }

  function drawNodeText(nodes) {
    ctx.fillStyle = "#1f2430";
    ctx.textBaseline = "middle";
    ctx.textAlign = "center";
    for (const i of nodes) {
      ctx.fillStyle = isDark(nodeColour(i)) ? "#ffffff" : "#1f2430";
      ctx.font = "600 14px system-ui, sans-serif";
      fitText(nodeTitle(i), X[i] + NW / 2, Y[i] + 13, NW - 8);
      ctx.font = "11px system-ui, sans-serif";
      const grad = gradOf(i);
      const values = grad === null ? format(dataOf(i)) : `${format(dataOf(i))}  \u2207 ${format(grad)}`;
      fitText(values, X[i] + NW / 2, Y[i] + 29, NW - 6);
    }
  }

  function fitText(text, x, y, room) {
    let shown = text;
    while (shown.length > 1 && ctx.measureText(shown).width > room) shown = shown.slice(0, -2) + "\u2026";
    ctx.fillText(shown, x, y);
  }

  function nodeTitle(i) {
    const label = DATA.label[i];
    const scope = DATA.scopeNames[DATA.scope[i]];
    if (label) return scope && label.startsWith(scope + ".") ? label.slice(scope.length + 1) : label;
    const kind = DATA.kinds[KIND[i]];
    if (kind !== "operation") return kind;
    const op = DATA.ops[OP[i]];
    return SYMBOLS[op] || op;
  }

  function drawSelection(s) {
    if (selected < 0) return;
    const element = elementOf(selected);
    const [x, y, w, h] = rectOf(element);
    const grow = 4 / s;
    ctx.lineWidth = 3 / s;
    ctx.strokeStyle = "#e8590c";
    ctx.strokeRect(x - grow, y - grow, w + 2 * grow, h + 2 * grow);
  }

  // An open scope's title sits in its title bar, at a size that fits the bar; when the bar is
  // too thin to read, the innermost open scopes (those with no open scope inside) get their name
  // in the middle instead. A closed box's title, node count and most common operations sit inside
  // it, at a size that follows the zoom within limits.
  function drawBoxTitles(view, s) {
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (const b of openFrames) {
      const r = screenRect(b);
      if (!visibleOnScreen(r)) continue;
      if (HEADER * s >= 14) frameTitleInBar(b, r, s);
      else if (!hasOpenChild[b] && r.w >= 100 && r.h >= 40) frameTitleInMiddle(b, r);
    }
    for (const b of closedBoxes) {
      const r = screenRect(b);
      if (visibleOnScreen(r) && r.w >= 60 && r.h >= 14) boxTitleInside(b, r, s);
    }
  }

  // A box's name, short inside an open scope whose title bar names the rest.
  function shortName(b) {
    const name = DATA.boxes[b], outer = DATA.boxes[PARENT[b]];
    return PARENT[b] > 0 && name.startsWith(outer + ".") ? name.slice(outer.length + 1) : name;
  }

  const frameTitle = (b) => `\u25be ${shortName(b)}   ${DATA.boxSize[b].toLocaleString("en")} nodes`;

  function frameTitleInBar(b, r, s) {
    const size = Math.min(13 * Math.max(0.8, Math.min(1.5, s)), HEADER * s * 0.58);
    ctx.font = `600 ${size.toFixed(1)}px system-ui, sans-serif`;
    ctx.fillStyle = "#3d2f86";
    const left = Math.max(r.x, 0) + 8;
    clipped(frameTitle(b), left, r.y + (HEADER * s) / 2, r.x + r.w - left - 6);
  }

  function frameTitleInMiddle(b, r) {
    ctx.font = "600 12px system-ui, sans-serif";
    const text = frameTitle(b);
    const room = Math.min(r.w, width) - 12;
    const w = Math.min(ctx.measureText(text).width + 10, room);
    const cx = (Math.max(r.x, 0) + Math.min(r.x + r.w, width)) / 2;
    const cy = (Math.max(r.y, 0) + Math.min(r.y + r.h, height)) / 2;
    textBackdrop(cx - w / 2, cy - 10, w, 20);
    ctx.fillStyle = "#3d2f86";
    clipped(text, cx - w / 2 + 5, cy, w - 8);
  }

  function boxTitleInside(b, r, s) {
    const k = Math.max(0.75, Math.min(1.5, s));
    const left = Math.max(r.x, 0) + 10 * k, room = r.x + r.w - left - 6 * k;
    const bottom = r.y + r.h - 3 * k;
    const lines = [
      [`600 ${(13 * k).toFixed(1)}px`, "#2b1d6e", `\u25b8 ${shortName(b)}`],
      [`${(12 * k).toFixed(1)}px`, "#4a4560", `${DATA.boxSize[b].toLocaleString("en")} nodes`],
      colourMode === "grad" ? [`${(11 * k).toFixed(1)}px`, boxNonFiniteGrads[b] ? "#b3123f" : "#4a4560", gradSummary(b)]
        : [`${(11 * k).toFixed(1)}px`, "#4a4560", boxSummary(b)],
    ];
    let line = r.y + 6 * k;
    if (colourMode === "grad") textBackdrop(left - 4 * k, line - 2 * k, Math.min(room, 220 * k), Math.min(r.h - 6 * k, 54 * k));
    for (const [font, colour, text] of lines) {
      const size = parseFloat(font.replace("600 ", ""));
      if (line + size > bottom) return;
      ctx.font = `${font} system-ui, sans-serif`;
      ctx.fillStyle = colour;
      clipped(text, left, line + size / 2, room);
      line += size * 1.35;
    }
  }

  // "|grad| up to 3.918 · 4 nan or ±inf": a box's largest finite |grad| and its non-finite ones.
  function gradSummary(b) {
    if (!DATA.grad) return "no gradients";
    const parts = [boxLargestGrad[b] === null ? "no finite |grad|" : `|grad| up to ${format(boxLargestGrad[b])}`];
    if (boxNonFiniteGrads[b]) parts.push(`${boxNonFiniteGrads[b].toLocaleString("en")} nan or \u00b1inf`);
    return parts.join(" \u00b7 ");
  }

  // What the pointer is over, said in the canvas's tooltip: a closed box's name, size and most
  // common operations, its largest finite |grad| and how many of its nodes are non-finite; a
  // node's title, data and grad.
  function tooltip(hit) {
    if (hit.box !== undefined) {
      const b = hit.box, lines = [`${DATA.boxes[b]}: ${DATA.boxSize[b].toLocaleString("en")} nodes (click to open)`, boxSummary(b)];
      if (DATA.grad) lines.push(boxLargestGrad[b] === null ? "no finite |grad|" : `largest finite |grad| ${format(boxLargestGrad[b])}`);
      if (boxNonFiniteGrads[b]) lines.push(`${plural(boxNonFiniteGrads[b], "node")} with a nan or \u00b1inf grad`);
      if (boxNonFiniteData[b]) lines.push(`${plural(boxNonFiniteData[b], "node")} with a nan or \u00b1inf value`);
      return lines.join("\n");
    }
    if (hit.node !== undefined) {
      const i = hit.node, grad = gradOf(i);
      return `#${DATA.ids[i]} ${nodeTitle(i)} = ${format(dataOf(i))}${grad === null ? "" : `, grad ${format(grad)}`}`;
    }
    if (hit.frame !== undefined) return `${DATA.boxes[hit.frame]} (click to close)`;
    return "";
  }

  const plural = (n, word) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;

  function textBackdrop(x, y, w, h) {
    ctx.fillStyle = "rgba(255, 255, 255, 0.8)";
    ctx.fillRect(x, y, w, h);
  }

  // "mul 1,600 · add 1,600 · relu 100": the most common operations (or leaf kinds) in each box,
  // counted for every box at once the first time one is needed.
  let summaries = null;
  function boxSummary(b) {
    if (!summaries) summaries = countInBoxes();
    return summaries[b];
  }

  function countInBoxes() {
    const counts = Array.from({ length: B }, () => new Map());
    for (let i = 0; i < N; i++) {
      const name = DATA.kinds[KIND[i]] === "operation" ? DATA.ops[OP[i]] : DATA.kinds[KIND[i]];
      for (let c = BOX[i]; c > 0; c = PARENT[c]) counts[c].set(name, (counts[c].get(name) || 0) + 1);
    }
    return counts.map((count) => [...count]
      .sort((p, q) => q[1] - p[1] || (p[0] < q[0] ? -1 : 1))
      .slice(0, 3)
      .map(([name, n]) => `${name} ${n.toLocaleString("en")}`).join(" \u00b7 "));
  }

  function clipped(text, x, y, room) {
    if (room < 12) return;
    fitText(text, x, y, room);
  }

  function screenRect(b) {
    const s = camera.scale;
    return {
      x: (RECT[4 * b] - camera.x) * s, y: (RECT[4 * b + 1] - camera.y) * s,
      w: RECT[4 * b + 2] * s, h: RECT[4 * b + 3] * s,
    };
  }

  const visibleOnScreen = (r) => r.x < width && r.x + r.w > 0 && r.y < height && r.y + r.h > 0;

  // Each arrow standing for several edges (into or out of a closed box) shows how many: beside its
  // source when it is the only arrow leaving that, so that arrows converging on a box are told
  // apart where they are still apart; else beside its target, once for all the arrows that
  // converge on it from elsewhere ("\u00d74 each" when they stand for as many edges each, else
  // the range). A label that would cover one already drawn is left out.
  function drawArrowCounts(stroked, view, s) {
    ctx.font = "600 11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const leaving = new Map(), entering = new Map();
    const add = (map, key) => map.set(key, (map.get(key) || 0) + 1);
    for (const k of stroked) { add(leaving, arrows.source[k]); add(entering, arrows.target[k]); }
    const g = arrows.geometry, bySource = [], byTarget = new Map();
    for (const k of stroked) {
      if (arrows.count[k] < 2) continue;
      drawn.counted++;
      if (leaving.get(arrows.source[k]) === 1 && entering.get(arrows.target[k]) > 1) bySource.push(k);
      else {
        if (!byTarget.has(arrows.target[k])) byTarget.set(arrows.target[k], []);
        byTarget.get(arrows.target[k]).push(k);
      }
    }
    const placed = []; // labels drawn, on screen
    const label = (text, wx, wy, forward, covers) => {
      const w = ctx.measureText(text).width + 8;
      const mx = wx + (forward * (w / 2 + 9)) / s;
      if (mx < view.left || mx > view.right || wy < view.top || wy > view.bottom) return;
      const sx = (mx - camera.x) * s, sy = (wy - camera.y) * s;
      if (placed.some((p) => Math.abs(p.x - sx) < (p.w + w) / 2 && Math.abs(p.y - sy) < 16)) return;
      placed.push({ x: sx, y: sy, w });
      ctx.fillStyle = "rgba(255, 255, 255, 0.92)";
      ctx.fillRect(sx - w / 2, sy - 8, w, 16);
      ctx.fillStyle = "#3b3f66";
      ctx.fillText(text, sx, sy);
      drawn.countLabels++;
      drawn.counts += covers;
    };
    const times = (n) => `\u00d7${n.toLocaleString("en")}`;
    // A backward arrow's count, or a short one's, sits in its middle.
    const roomy = (k) => arrows.curved[k] && (g[4 * k + 2] - g[4 * k]) * s > 60;
    const middle = (k) => label(times(arrows.count[k]), (g[4 * k] + g[4 * k + 2]) / 2, (g[4 * k + 1] + g[4 * k + 3]) / 2, 0, 1);
    for (const k of bySource) {
      if (placed.length === 400) return;
      if (roomy(k)) label(times(arrows.count[k]), g[4 * k], g[4 * k + 1], 1, 1);
      else middle(k);
    }
    for (const list of byTarget.values()) {
      if (placed.length === 400) return;
      const counts = list.map((k) => arrows.count[k]);
      const low = Math.min(...counts), high = Math.max(...counts);
      const text = list.length === 1 ? times(low) : low === high ? `${times(low)} each` : `${times(low)}\u2013${high.toLocaleString("en")}`;
      if (list.every(roomy)) {
        let y = 0;
        for (const k of list) y += g[4 * k + 3];
        label(text, g[4 * list[0] + 2], y / list.length, -1, list.length);
      } else {
        list.forEach(middle);
      }
    }
  }

  // ---- numbers ---------------------------------------------------------------------------

  function format(value) {
    if (value === null || value === undefined) return "\u2014";
    if (typeof value === "string") return value;
    if (value === 0) return "0"; // and -0 too
    const size = Math.abs(value);
    if (size >= 1e5 || size < 1e-3) {
      const [mantissa, exponent] = value.toExponential(3).split("e");
      return `${Number(mantissa)}e${exponent.replace("+", "")}`;
    }
    return String(Number(value.toPrecision(4)));
  }

  // ---- panel, legend, header ---------------------------------------------------------------

  function attributesOf(i) {
    return {
      id: DATA.ids[i],
      kind: DATA.kinds[KIND[i]],
      op: DATA.ops[OP[i]],
      label: DATA.label[i],
      scope: DATA.scopeNames[DATA.scope[i]],
      data: dataOf(i),
      grad: gradOf(i),
      fanOut: consumerStart[i + 1] - consumerStart[i],
      operands: operandsOf(i).map((j) => DATA.ids[j]),
      results: resultsOf(i).map((j) => DATA.ids[j]),
    };
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function nodeLink(j, prefix) {
    const link = element("a", `${prefix}#${DATA.ids[j]} ${nodeTitle(j)} = ${format(dataOf(j))}`);
    link.href = "#";
    link.addEventListener("click", (event) => {
      event.preventDefault();
      select(j);
      reveal(j);
    });
    return link;
  }

  function showPanel() {
    const panel = $("panel");
    panel.replaceChildren();
    if (selected < 0) { panel.hidden = true; return; }
    const a = attributesOf(selected);
    const close = element("button", "\u00d7", "close");
    close.title = "Close (Escape)";
    close.addEventListener("click", () => select(null));
    const results = new Set(a.results).size;
    panel.append(close, element("h2", `#${a.id} ${nodeTitle(selected)}`));
    const table = element("table");
    const rows = [
      ["kind", a.kind], ["op", a.op || "\u2014"], ["label", a.label || "\u2014"],
      ["scope", a.scope || "(none)"], ["data", format(a.data), typeof a.data === "string"],
      ["grad", a.grad === null ? "not computed" : format(a.grad), typeof a.grad === "string"],
      ["fan-out", `${a.fanOut} edge${a.fanOut === 1 ? "" : "s"} to ${results} result${results === 1 ? "" : "s"}`],
    ];
    for (const [name, value, bad] of rows) {
      const row = element("tr");
      row.append(element("th", name), element("td", value, bad ? "nonfinite" : undefined));
      table.append(row);
    }
    panel.append(table);
    listLinks(panel, "Operands", operandsOf(selected), "ol", (j, k) => `${k}: `);
    listLinks(panel, "Results", resultsOf(selected), "ul", () => "");
    const actions = element("div", undefined, "actions");
    const toggle = element("button", lineageOn ? "Hide lineage" : "Show lineage (a)");
    toggle.addEventListener("click", () => highlight(!lineageOn));
    actions.append(toggle);
    panel.append(actions);
    panel.hidden = false;
  }

  function listLinks(panel, title, nodes, tag, prefix) {
    panel.append(element("h3", `${title} (${nodes.length})`));
    if (!nodes.length) { panel.append(element("div", "none")); return; }
    const list = element(tag);
    nodes.slice(0, 100).forEach((j, k) => {
      const item = element("li");
      item.append(nodeLink(j, prefix(j, k)));
      list.append(item);
    });
    if (nodes.length > 100) list.append(element("li", `\u2026 and ${nodes.length - 100} more`));
    panel.append(list);
  }

  function swatchEntry(colour, text) {
    const entry = element("div", undefined, "entry");
    const swatch = element("span", undefined, "swatch");
    swatch.style.background = colour;
    entry.append(swatch, element("span", text));
    return entry;
  }

  function showLegend() {
    const legend = $("legend");
    legend.replaceChildren();
    if (colourMode === "op") {
      $("legend-title").textContent = "Colour by operation";
      const kinds = new Set(Array.from(KIND, (k) => DATA.kinds[k]));
      for (const kind of ["parameter", "input", "constant"]) {
        if (kinds.has(kind)) legend.append(swatchEntry(KIND_COLOURS[kind], kind));
      }
      DATA.ops.forEach((op, k) => {
        if (op) legend.append(swatchEntry(OP_COLOURS[op] || SPARE[k % SPARE.length], `${op} ${SYMBOLS[op] || ""}`));
      });
      legend.append(swatchEntry("#e6e3f3", "closed scope (click to open)"));
    } else if (colourMode === "scope") {
      $("legend-title").textContent = "Colour by scope";
      for (const b of topScopes.slice(0, 40)) legend.append(swatchEntry(scopeColours[b], DATA.boxes[b]));
      if (topScopes.length > 40) legend.append(element("div", `\u2026 and ${topScopes.length - 40} more`));
      if (DATA.box.some((b) => b === 0)) legend.append(swatchEntry(scopeColours[0], "outside every scope"));
      legend.append(element("div", "the scopes inside one have its colour"));
    } else {
      $("legend-title").textContent = "Colour by |grad|, log scale";
      if (gradRange) {
        const ramp = element("div", undefined, "ramp");
        ramp.style.background = `linear-gradient(to right, ${RAMP.join(", ")})`;
        const scale = element("div", undefined, "scale");
        scale.append(element("span", `1e${Math.floor(gradRange.low)}`), element("span", `1e${Math.ceil(gradRange.high)}`));
        legend.append(ramp, scale);
      }
      legend.append(swatchEntry(ZERO_GRAD, "0"), swatchEntry(NONFINITE_COLOUR, "nan or \u00b1inf"));
      if (!DATA.grad) legend.append(swatchEntry(NO_GRAD, "no gradients in this graph"));
      legend.append(element("div", "a closed scope shows its largest finite |grad|"));
    }
  }

  function showStats() {
    const shown = shownNodes.length + closedBoxes.length;
    $("stats").textContent = `${N.toLocaleString("en")} nodes \u00b7 ${E.toLocaleString("en")} edges \u00b7 depth ${DATA.depth.toLocaleString("en")} \u00b7 ${shown.toLocaleString("en")} shown`;
  }

  let messageTimer = 0;
  function say(text) {
    const message = $("message");
    message.textContent = text;
    message.hidden = false;
    clearTimeout(messageTimer);
    messageTimer = setTimeout(() => { message.hidden = true; }, 3500);
  }

  // ---- actions (the automation interface calls these too) --------------------------------

  function changed() {
    derive();
    showStats();
    requestDraw();
  }

  function boxNamed(name) {
    const b = boxOfName.get(String(name));
    return b === undefined ? -1 : b;
  }

  function openBox(b) {
    for (let c = b; c > 0; c = PARENT[c]) open[c] = 1;
  }

  function expand(name) {
    const b = boxNamed(name);
    if (b < 0) return false;
    keepingPlace(b, () => { openBox(b); changed(); });
    return true;
  }

  function collapse(name) {
    const b = boxNamed(name);
    if (b < 0) return false;
    keepingPlace(b, () => { closeBox(b); changed(); });
    return true;
  }

  function closeBox(b) {
    for (let c = b; c < B; c++) {
      if (c === b || isInside(c, b)) open[c] = 0;
      else if (c > b && boxDepth[c] <= boxDepth[b]) break; // pre-order: past b's subtree
    }
  }

  function isInside(c, b) {
    for (let d = c; d > 0; d = PARENT[d]) if (d === b) return true;
    return false;
  }

  function expandAll() {
    open.fill(1);
    changed();
  }

  function collapseAll() {
    open.fill(0);
    open[0] = 1;
    changed();
  }

  function select(id) {
    const i = id === null || id === undefined ? -1 : typeof id === "number" && DATA.ids[id] === id ? id : indexOfId.get(String(id));
    if (i === undefined) throw new Error(`no node ${id} in this graph`);
    selected = i;
    setLineage();
    relight();
    bucketNodes();
    showPanel();
    requestDraw();
    return i < 0 ? null : attributesOf(i);
  }

  function reveal(id) {
    const i = typeof id === "number" && DATA.ids[id] === id ? id : indexOfId.get(String(id));
    if (i === undefined) return false;
    openBox(BOX[i]);
    changed();
    centreOn(X[i] + NW / 2, Y[i] + NH / 2, Math.max(camera.scale, 1));
    return true;
  }

  function highlight(on) {
    lineageOn = !!on;
    $("lineage").setAttribute("aria-pressed", String(lineageOn));
    setLineage();
    relight();
    bucketNodes();
    showPanel();
    requestDraw();
    if (lineageOn && selected < 0) say("select a node to see what it depends on and what it feeds");
  }

  function colourBy(mode) {
    if (!["op", "scope", "grad"].includes(mode)) throw new Error(`unknown colour mode ${mode}`);
    colourMode = mode;
    $("colour").value = mode;
    bucketNodes();
    showLegend();
    requestDraw();
  }

  function search(text) {
    const query = String(text).trim();
    if (!query) return null;
    let i = labelIndex.get(query);
    if (i === undefined && /^#?\d+$/.test(query)) i = indexOfId.get(query.replace("#", ""));
    if (i !== undefined) return foundNode(i);
    const b = boxNamed(query);
    if (b > 0) return foundBox(b, query);
    const lower = query.toLowerCase();
    for (let j = 0; j < N; j++) if (DATA.label[j] && DATA.label[j].toLowerCase().includes(lower)) return foundNode(j);
    for (const [name, c] of boxOfName) if (name.toLowerCase().includes(lower)) return foundBox(c, name);
    say(`nothing matches \u201c${query}\u201d: no label or scope contains it`);
    return null;
  }

  function foundNode(i) {
    select(i);
    reveal(i);
    return DATA.ids[i];
  }

  function foundBox(b, name) {
    if (PARENT[b] > 0) openBox(PARENT[b]);
    changed();
    fitRect(RECT[4 * b], RECT[4 * b + 1], RECT[4 * b + 2], RECT[4 * b + 3], 1.2);
    requestDraw();
    return name;
  }

  function state() {
    const expanded = [];
    for (let b = 1; b < B; b++) if (open[b]) expanded.push(DATA.boxes[b]);
    return {
      nodes: N, edges: E, visible: shownNodes.length + closedBoxes.length,
      expanded: expanded.sort(), selected: selected < 0 ? null : DATA.ids[selected],
    };
  }

  // The centre of the part of a drawn box or node that is on screen (where a click lands on it)
  // and its whole size on screen, in CSS pixels of the page.
  function onPage(r) {
    const left = Math.max(r.x, 0), right = Math.min(r.x + r.w, width);
    const top = Math.max(r.y, 0), bottom = Math.min(r.y + r.h, height);
    if (left >= right || top >= bottom) return null;
    const page = canvas.getBoundingClientRect();
    return { x: page.left + (left + right) / 2, y: page.top + (top + bottom) / 2, width: r.w, height: r.h };
  }

  function boxPosition(name) {
    const b = boxNamed(name);
    if (b < 0 || boxShown[b] !== b && !(boxShown[b] === -1 && b > 0)) return null;
    return onPage(screenRect(b));
  }

  function nodePosition(id) {
    const i = indexOfId.get(String(id));
    if (i === undefined || boxShown[BOX[i]] !== -1) return null;
    const s = camera.scale;
    return onPage({ x: (X[i] - camera.x) * s, y: (Y[i] - camera.y) * s, w: NW * s, h: NH * s });
  }

  // A one-pixel canvas that drawNow() copies a pixel of the page's canvas into and reads back,
  // which waits until the page's canvas is rasterised. Reading the small canvas, made for
  // reading, leaves the page's canvas on its fast path for drawing.
  let probe = null;
  function drawNow() {
    const start = performance.now();
    draw();
    if (!probe) {
      const small = document.createElement("canvas");
      small.width = 1;
      small.height = 1;
      probe = small.getContext("2d", { willReadFrequently: true });
    }
    probe.drawImage(canvas, 0, 0, 1, 1, 0, 0, 1, 1);
    probe.getImageData(0, 0, 1, 1);
    return performance.now() - start;
  }

  // ---- input -----------------------------------------------------------------------------

  function hitTest(sx, sy) {
    const wx = camera.x + sx / camera.scale, wy = camera.y + sy / camera.scale;
    const nodes = nodesIn({ left: wx, top: wy, right: wx, bottom: wy }, NW, NH);
    if (nodes.length) return { node: nodes[0] };
    for (const b of closedBoxes) {
      if (within(b, wx, wy)) return { box: b };
    }
    let frame = -1;
    for (const b of openFrames) {
      if (within(b, wx, wy) && wy <= RECT[4 * b + 1] + HEADER && (frame < 0 || boxDepth[b] > boxDepth[frame])) frame = b;
    }
    return frame >= 0 ? { frame } : {};
  }

  function within(b, wx, wy) {
    const x = RECT[4 * b], y = RECT[4 * b + 1];
    return wx >= x && wx <= x + RECT[4 * b + 2] && wy >= y && wy <= y + RECT[4 * b + 3];
  }

  // The box the last click opened, where that click was, and the camera before and after it: a
  // click on the same spot, the camera not moved since, closes that box again and puts the camera
  // back, whatever the opened box now shows there, so that clicking twice changes nothing.
  let clickOpened = null;
  const sameCamera = (a) => a.x === camera.x && a.y === camera.y && a.scale === camera.scale;

  function reopenedSpot(sx, sy) {
    const o = clickOpened;
    return o && Math.abs(sx - o.sx) <= 4 && Math.abs(sy - o.sy) <= 4 && sameCamera(o.after) && boxShown[o.box] === -1;
  }

  function onClick(sx, sy) {
    if (reopenedSpot(sx, sy)) {
      const { box, before } = clickOpened;
      clickOpened = null;
      closeBox(box);
      changed();
      Object.assign(camera, before);
      return;
    }
    clickOpened = null;
    const hit = hitTest(sx, sy);
    if (hit.node !== undefined) select(hit.node);
    else if (hit.box !== undefined) {
      const before = { ...camera };
      keepingPlace(hit.box, () => { openBox(hit.box); changed(); });
      bringIntoView(hit.box);
      clickOpened = { box: hit.box, sx, sy, before, after: { ...camera } };
    } else if (hit.frame !== undefined) keepingPlace(hit.frame, () => { closeBox(hit.frame); changed(); });
    else select(null);
  }

  function listen() {
    let press = null;
    canvas.addEventListener("pointerdown", (event) => {
      press = { x: event.clientX, y: event.clientY, moved: false };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!press) {
        const r = canvas.getBoundingClientRect();
        const sx = event.clientX - r.left, sy = event.clientY - r.top;
        const text = reopenedSpot(sx, sy) ? `${DATA.boxes[clickOpened.box]} (click again to close)` : tooltip(hitTest(sx, sy));
        if (canvas.title !== text) canvas.title = text;
        return;
      }
      const dx = event.clientX - press.x, dy = event.clientY - press.y;
      if (!press.moved && Math.hypot(dx, dy) < 4) return;
      press.moved = true;
      canvas.classList.add("dragging");
      panBy(dx, dy);
      press.x = event.clientX;
      press.y = event.clientY;
    });
    canvas.addEventListener("pointerup", (event) => {
      if (press && !press.moved) {
        const r = canvas.getBoundingClientRect();
        onClick(event.clientX - r.left, event.clientY - r.top);
      }
      press = null;
      canvas.classList.remove("dragging");
    });
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const r = canvas.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - r.left, event.clientY - r.top);
    }, { passive: false });
    window.addEventListener("keydown", onKey);
    window.addEventListener("resize", () => { resize(); requestDraw(); });
    $("search").addEventListener("keydown", (event) => {
      if (event.key === "Enter") search(event.target.value);
    });
    $("colour").addEventListener("change", (event) => colourBy(event.target.value));
    $("lineage").addEventListener("click", () => highlight(!lineageOn));
    $("expand-all").addEventListener("click", expandAll);
    $("collapse-all").addEventListener("click", collapseAll);
    $("fit").addEventListener("click", fit);
  }

  function onKey(event) {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const step = 80;
    const keys = {
      ArrowLeft: () => panBy(step, 0), ArrowRight: () => panBy(-step, 0),
      ArrowUp: () => panBy(0, step), ArrowDown: () => panBy(0, -step),
      "+": () => zoomAt(1.25, width / 2, height / 2), "=": () => zoomAt(1.25, width / 2, height / 2),
      "-": () => zoomAt(0.8, width / 2, height / 2), f: fit, a: () => highlight(!lineageOn),
      Escape: () => { highlight(false); select(null); },
      "/": () => $("search").focus(),
    };
    const action = keys[event.key];
    if (action && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      action();
    }
  }

  function fillNames() {
    const names = $("names");
    const options = [...boxOfName.keys(), ...labelIndex.keys()].slice(0, 5000);
    names.append(...options.map((name) => { const o = element("option"); o.value = name; return o; }));
  }

  // ---- start -----------------------------------------------------------------------------

  $("title").textContent = DATA.title || "";
  resize();
  derive();
  showStats();
  showLegend();
  fitRect(RECT[0], RECT[1], RECT[2], RECT[3]);
  listen();
  fillNames();
  const ready = new Promise((resolve) => {
    requestAnimationFrame(() => {
      draw();
      requestAnimationFrame(() => resolve());
    });
  });

  window.microgradView = {
    ready, state, expand, collapse, expandAll, collapseAll, select, reveal, search, highlight,
    colourBy, fit, boxPosition, nodePosition, drawNow, lastFrame: () => ({ ...drawn }),
    panBy: (dx, dy) => panBy(dx, dy),
    zoomBy: (factor) => zoomAt(factor, width / 2, height / 2),
  };
})();
