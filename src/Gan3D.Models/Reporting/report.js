// The run report's page: reads the JSON block that RunReport embeds, draws the training curves as SVG,
// and shows the selected shape in a small WebGL viewer (orbit camera, Lambert shading). Surfaces are
// built here from the byte-quantised probabilities, so the threshold slider needs no precomputed
// meshes: voxel faces between filled and empty cells, or marching cubes with the engine's own case
// table. No framework and no network: the page works opened from disk.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('report-data').textContent);
  const $ = (id) => document.getElementById(id);

  function decodeBase64(text) {
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of [].concat(children || [])) node.append(c);
    return node;
  }

  function fmt(x, digits) {
    if (x === null || x === undefined) return '–';
    if (typeof x !== 'number') return String(x);
    if (Number.isInteger(x)) return x.toLocaleString('en');
    return Math.abs(x) >= 1000 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(digits || 4);
  }

  // ---- Shapes: every pickable grid, samples first, then reconstructions ------------------------------

  const shapes = [];
  {
    const s = data.samples;
    const bytes = decodeBase64(s.probabilities);
    const n3 = s.resolution ** 3;
    for (let i = 0; i < s.count; i++) {
      shapes.push({ kind: 'sample', label: 'sample ' + (i + 1) + ' of ' + s.count, r: s.resolution,
        q: bytes.subarray(i * n3, (i + 1) * n3), thumb: s.thumbnails[i] });
    }
  }
  const rec = data.reconstructions;
  if (rec) {
    const bytes = decodeBase64(rec.probabilities);
    const n3 = rec.resolution ** 3;
    for (let i = 0; i < rec.count; i++) {
      shapes.push({ kind: 'reconstruction', label: 'reconstruction of ' + rec.names[i] + ' (IoU ' + rec.iou[i].toFixed(2) + ' at 0.5)',
        r: rec.resolution, q: bytes.subarray(i * n3, (i + 1) * n3), thumb: rec.thumbnails[i], view: rec.views[i], name: rec.names[i], short: rec.names[i] + ' · IoU ' + rec.iou[i].toFixed(2) });
    }
  }

  // ---- Surfaces ------------------------------------------------------------------------------------
  // Vertices are interleaved (position xyz, normal xyz, face uv), 8 floats, in the cube [-0.5, 0.5]^3,
  // z up; voxel (i, j, k) spans [i, i+1]/r - 0.5 on each axis (as the engine's meshes).

  const FLOATS = 8;

  // Faces between a filled voxel (byte > level) and an empty one or the outside.
  function voxelSurface(q, r, level) {
    const filled = (i, j, k) => i >= 0 && j >= 0 && k >= 0 && i < r && j < r && k < r && q[(i * r + j) * r + k] > level;
    const dirs = [[-1, 0, 0], [1, 0, 0], [0, -1, 0], [0, 1, 0], [0, 0, -1], [0, 0, 1]];
    let faces = 0;
    for (let pass = 0; pass < 2; pass++) {
      const out = pass ? new Float32Array(faces * 6 * FLOATS) : null;
      let o = 0;
      for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let k = 0; k < r; k++) {
        if (q[(i * r + j) * r + k] <= level) continue;
        for (let d = 0; d < 6; d++) {
          const [di, dj, dk] = dirs[d];
          if (filled(i + di, j + dj, k + dk)) continue;
          if (!pass) { faces++; continue; }
          const axis = d >> 1, u = (axis + 1) % 3, v = (axis + 2) % 3;
          const base = [i, j, k];
          base[axis] += d & 1;
          const normal = [0, 0, 0];
          normal[axis] = d & 1 ? 1 : -1;
          const corner = (cu, cv) => {
            const p = base.slice();
            p[u] += cu; p[v] += cv;
            out.set([p[0] / r - 0.5, p[1] / r - 0.5, p[2] / r - 0.5, normal[0], normal[1], normal[2], cu, cv], o);
            o += FLOATS;
          };
          corner(0, 0); corner(1, 0); corner(1, 1);
          corner(0, 0); corner(1, 1); corner(0, 1);
        }
      }
      if (pass) return { vertices: out, faces: faces };
    }
  }

  // Marching cubes at `level` on samples at voxel centres, 0 outside the grid (closed surfaces), with
  // the case table of Gan3D.Data.MarchingCubes: the same triangles as the run's meshes/*.obj at 0.5.
  function marchingCubes(q, r, level) {
    const table = data.marchingCubes;
    const value = (i, j, k) => (i >= 0 && j >= 0 && k >= 0 && i < r && j < r && k < r ? q[(i * r + j) * r + k] : 0);
    const corner = new Float64Array(8);
    const out = [];
    let triangles = 0;
    for (let i = -1; i < r; i++) for (let j = -1; j < r; j++) for (let k = -1; k < r; k++) {
      let config = 0;
      for (let c = 0; c < 8; c++) {
        corner[c] = value(i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1));
        if (corner[c] > level) config |= 1 << c;
      }
      if (config === 0 || config === 255) continue;
      const edgePoint = (e) => {
        const [a, b] = table.edges[e];
        const axis = e >> 2;
        const s = Math.min(1, Math.max(0, (level - corner[a]) / (corner[b] - corner[a])));
        const p = [i + (a & 1), j + ((a >> 1) & 1), k + ((a >> 2) & 1)];
        p[axis] += s;
        return [(p[0] + 0.5) / r - 0.5, (p[1] + 0.5) / r - 0.5, (p[2] + 0.5) / r - 0.5];
      };
      const centres = table.loops[config].map((loop) => {
        const m = [0, 0, 0];
        for (const e of loop) { const p = edgePoint(e); m[0] += p[0]; m[1] += p[1]; m[2] += p[2]; }
        return m.map((x) => x / loop.length);
      });
      const tris = table.triangles[config];
      for (let t = 0; t < tris.length; t += 3) {
        const p = [0, 1, 2].map((n) => (tris[t + n] >= table.centre ? centres[tris[t + n] - table.centre] : edgePoint(tris[t + n])));
        const ux = p[1][0] - p[0][0], uy = p[1][1] - p[0][1], uz = p[1][2] - p[0][2];
        const vx = p[2][0] - p[0][0], vy = p[2][1] - p[0][1], vz = p[2][2] - p[0][2];
        let nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
        const len = Math.hypot(nx, ny, nz) || 1;
        nx /= len; ny /= len; nz /= len;
        for (const v of p) out.push(v[0], v[1], v[2], nx, ny, nz, 0.5, 0.5);
        triangles++;
      }
    }
    return { vertices: new Float32Array(out), faces: triangles };
  }

  // ---- Matrices (column-major, as WebGL reads them) ----------------------------------------------------

  function perspective(fovy, aspect, near, far) {
    const f = 1 / Math.tan(fovy / 2), nf = 1 / (near - far);
    return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) * nf, -1, 0, 0, 2 * far * near * nf, 0];
  }

  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const normalize = (a) => { const l = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / l, a[1] / l, a[2] / l]; };
  const combine = (terms) => normalize(terms.reduce((s, [w, v]) => [s[0] + w * v[0], s[1] + w * v[1], s[2] + w * v[2]], [0, 0, 0]));

  // The camera's right, up and back axes and the world-to-camera matrix.
  function lookAt(eye, target, up) {
    const z = normalize(sub(eye, target)), x = normalize(cross(up, z)), y = cross(z, x);
    return { x: x, y: y, z: z, m: [x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0, -dot(x, eye), -dot(y, eye), -dot(z, eye), 1] };
  }

  function multiply(a, b) {
    const out = new Array(16);
    for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
      out[c * 4 + r] = s;
    }
    return out;
  }

  // ---- Viewer --------------------------------------------------------------------------------------

  const canvas = $('viewer');
  const DEFAULT_VIEW = { azimuth: -40, elevation: 25, distance: 2.9 };
  const state = { selected: 0, threshold: 0.5, mode: 'voxels', view: Object.assign({}, DEFAULT_VIEW) };
  const gl = canvas.getContext('webgl', { antialias: true, preserveDrawingBuffer: true });
  let program = null, meshBuffer = null, boxBuffer = null, meshVertices = 0, drawPending = false;

  function compile(type, source) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(shader));
    return shader;
  }

  function setupGl() {
    const vs = 'attribute vec3 aPos; attribute vec3 aNormal; attribute vec2 aUv;' +
      'uniform mat4 uMvp; varying vec3 vNormal; varying vec2 vUv;' +
      'void main() { gl_Position = uMvp * vec4(aPos, 1.0); vNormal = aNormal; vUv = aUv; }';
    // Lambert with a key and a fill light; voxel faces get darkened borders so single cells read.
    const fs = 'precision mediump float; varying vec3 vNormal; varying vec2 vUv;' +
      'uniform vec3 uKey; uniform vec3 uFill; uniform vec3 uColor; uniform float uEdges; uniform float uFlat;' +
      'void main() {' +
      '  if (uFlat > 0.5) { gl_FragColor = vec4(uColor, 1.0); return; }' +
      '  vec3 n = normalize(vNormal);' +
      '  float light = 0.30 + 0.62 * max(dot(n, uKey), 0.0) + 0.22 * max(dot(n, uFill), 0.0);' +
      '  vec2 d = min(vUv, 1.0 - vUv);' +
      '  float edge = uEdges * (1.0 - smoothstep(0.0, 0.08, min(d.x, d.y)));' +
      '  gl_FragColor = vec4(uColor * light * (1.0 - 0.3 * edge), 1.0);' +
      '}';
    program = gl.createProgram();
    gl.attachShader(program, compile(gl.VERTEX_SHADER, vs));
    gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fs));
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
    meshBuffer = gl.createBuffer();
    boxBuffer = gl.createBuffer();
    // The grid's bounding cube as 12 lines, a frame of reference while turning.
    const box = [];
    for (let axis = 0; axis < 3; axis++) for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
      const p = [0, 0, 0], q = [0, 0, 0];
      p[axis] = -0.5; q[axis] = 0.5;
      p[(axis + 1) % 3] = q[(axis + 1) % 3] = a - 0.5;
      p[(axis + 2) % 3] = q[(axis + 2) % 3] = b - 0.5;
      box.push(...p, 0, 0, 0, 0.5, 0.5, ...q, 0, 0, 0, 0.5, 0.5);
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, boxBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(box), gl.STATIC_DRAW);
    gl.enable(gl.DEPTH_TEST);
  }

  function bind(buffer) {
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    const attr = (name, size, offset) => {
      const loc = gl.getAttribLocation(program, name);
      if (loc < 0) return;
      gl.enableVertexAttribArray(loc);
      gl.vertexAttribPointer(loc, size, gl.FLOAT, false, FLOATS * 4, offset * 4);
    };
    attr('aPos', 3, 0); attr('aNormal', 3, 3); attr('aUv', 2, 6);
  }

  function rebuildMesh() {
    const shape = shapes[state.selected];
    const level = state.threshold * 255;
    const surface = state.mode === 'mesh' ? marchingCubes(shape.q, shape.r, level) : voxelSurface(shape.q, shape.r, level);
    let filled = 0;
    for (let n = 0; n < shape.q.length; n++) if (shape.q[n] > level) filled++;
    $('stats').textContent = fmt(surface.faces) + (state.mode === 'mesh' ? ' triangles' : ' faces') + ' · ' +
      (100 * filled / shape.q.length).toFixed(1) + '% of ' + shape.r + '³ voxels above ' + state.threshold.toFixed(2);
    if (!gl) return;
    meshVertices = surface.vertices.length / FLOATS;
    gl.bindBuffer(gl.ARRAY_BUFFER, meshBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, surface.vertices, gl.STATIC_DRAW);
  }

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr)), h = Math.max(1, Math.round(canvas.clientHeight * dpr));
    if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  }

  function draw() {
    drawPending = false;
    resize();
    const v = state.view, az = v.azimuth * Math.PI / 180, el = v.elevation * Math.PI / 180;
    // Azimuth 0 looks at the front (the built-in shapes face -y), z is up.
    const eye = [v.distance * Math.cos(el) * Math.sin(az), -v.distance * Math.cos(el) * Math.cos(az), v.distance * Math.sin(el)];
    const camera = lookAt(eye, [0, 0, 0], [0, 0, 1]);
    const mvp = multiply(perspective(35 * Math.PI / 180, canvas.width / canvas.height, 0.05, 20), camera.m);
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(0.933, 0.941, 0.953, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.useProgram(program);
    const u = (name) => gl.getUniformLocation(program, name);
    gl.uniformMatrix4fv(u('uMvp'), false, new Float32Array(mvp));
    gl.uniform3fv(u('uKey'), combine([[-0.35, camera.x], [0.55, camera.y], [0.75, camera.z]]));
    gl.uniform3fv(u('uFill'), combine([[0.7, camera.x], [-0.2, camera.y], [0.5, camera.z]]));
    gl.uniform1f(u('uFlat'), 1);
    gl.uniform3fv(u('uColor'), [0.7, 0.73, 0.77]);
    bind(boxBuffer);
    gl.drawArrays(gl.LINES, 0, 24);
    gl.uniform1f(u('uFlat'), 0);
    gl.uniform1f(u('uEdges'), state.mode === 'voxels' ? 1 : 0);
    gl.uniform3fv(u('uColor'), [0.95, 0.74, 0.52]);
    bind(meshBuffer);
    if (meshVertices > 0) gl.drawArrays(gl.TRIANGLES, 0, meshVertices);
    if (document.body.dataset.rendered !== 'true') {
      gl.finish();
      document.body.dataset.rendered = 'true';
    }
  }

  function requestDraw() {
    if (!gl || drawPending) return;
    drawPending = true;
    requestAnimationFrame(draw);
  }

  function select(index) {
    state.selected = (index + shapes.length) % shapes.length;
    const shape = shapes[state.selected];
    document.querySelectorAll('.picker button').forEach((b) => b.setAttribute('aria-pressed', String(Number(b.dataset.index) === state.selected)));
    $('viewer-caption').textContent = shape.label;
    const input = $('viewer-input');
    input.hidden = !shape.view;
    if (shape.view) input.src = shape.view;
    rebuildMesh();
    requestDraw();
  }

  function orbit(dAzimuth, dElevation) {
    state.view.azimuth = (state.view.azimuth + dAzimuth) % 360;
    state.view.elevation = Math.max(-89, Math.min(89, state.view.elevation + dElevation));
    requestDraw();
  }

  function zoom(factor) {
    state.view.distance = Math.max(0.6, Math.min(8, state.view.distance * factor));
    requestDraw();
  }

  function setMode(mode) {
    state.mode = mode;
    document.querySelectorAll('input[name=surface]').forEach((r) => { r.checked = r.value === mode; });
    rebuildMesh();
    requestDraw();
  }

  function setupControls() {
    let drag = null;
    canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY };
      canvas.focus({ preventScroll: true });
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!drag) return;
      orbit(-(e.clientX - drag.x) * 0.5, (e.clientY - drag.y) * 0.5);
      drag = { x: e.clientX, y: e.clientY };
    });
    const end = () => { drag = null; };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('wheel', (e) => { e.preventDefault(); zoom(Math.exp(e.deltaY * 0.001)); }, { passive: false });
    const slider = $('threshold');
    slider.addEventListener('input', () => {
      state.threshold = Number(slider.value);
      $('threshold-value').textContent = state.threshold.toFixed(2);
      rebuildMesh();
      requestDraw();
    });
    document.querySelectorAll('input[name=surface]').forEach((r) => r.addEventListener('change', () => setMode(r.value)));
    $('reset').addEventListener('click', () => { state.view = Object.assign({}, DEFAULT_VIEW); requestDraw(); });
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const keys = {
        ArrowLeft: () => orbit(-10, 0), ArrowRight: () => orbit(10, 0), ArrowUp: () => orbit(0, 8), ArrowDown: () => orbit(0, -8),
        '+': () => zoom(1 / 1.15), '=': () => zoom(1 / 1.15), '-': () => zoom(1.15), _: () => zoom(1.15),
        n: () => select(state.selected + 1), p: () => select(state.selected - 1),
        m: () => setMode(state.mode === 'voxels' ? 'mesh' : 'voxels'),
        r: () => { state.view = Object.assign({}, DEFAULT_VIEW); requestDraw(); },
      };
      const action = keys[e.key];
      // Turning and zooming take the keys only while the view has focus (it has at the start, and
      // after a click on it or on a shape), so the arrows still scroll the page elsewhere.
      const viewKey = e.key.startsWith('Arrow') || '+=-_'.includes(e.key);
      if (!action || (viewKey && e.target !== canvas)) return;
      e.preventDefault();
      action();
    });
    if (window.ResizeObserver) new ResizeObserver(requestDraw).observe(canvas);
    else window.addEventListener('resize', requestDraw);
  }

  function buildPickers() {
    const samples = $('samples'), recons = $('reconstructions');
    shapes.forEach((shape, index) => {
      const button = el('button', { type: 'button', 'data-index': index, 'aria-pressed': 'false', title: shape.label });
      if (shape.kind === 'reconstruction') {
        button.append(el('img', { src: shape.view, alt: 'input view of ' + shape.name }), el('img', { src: shape.thumb, alt: shape.label }), el('span', {}, shape.short));
        recons.append(button);
      } else {
        button.append(el('img', { src: shape.thumb, alt: shape.label }), el('span', {}, String(index + 1)));
        samples.append(button);
      }
      button.addEventListener('click', () => { select(index); canvas.focus({ preventScroll: true }); });
    });
    const s = data.samples;
    $('samples-heading').textContent = 'Samples (' + s.count + ', ' + (s.source === 'samples/final.npy' ? 'samples/final.npy'
      : 'decoded from the checkpoint at step ' + fmt(s.step)) + ')';
    if (rec) {
      $('recon-part').hidden = false;
      $('recon-note').textContent = 'Left: the view the encoder sees (' + (rec.heldOut ? 'held-out shapes, one per family' : 'training shapes: the run\'s data is not procedural') +
        '); right: G(E(view)). Pick one to turn it in the viewer.';
    }
  }

  // ---- Curves (SVG) ----------------------------------------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';
  const COLORS = ['#c0642c', '#2f6db5', '#3c9a5f', '#8e5bb5', '#b03a48'];

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  function niceTicks(lo, hi, count) {
    const raw = (hi - lo) / count, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
    return ticks;
  }

  // Trailing moving average over about 2% of the points (GAN losses are too noisy to read raw).
  function smooth(y) {
    const w = Math.max(1, Math.round(y.length / 50)), out = [];
    let sum = 0, n = 0;
    for (let i = 0; i < y.length; i++) {
      if (y[i] !== null) { sum += y[i]; n++; }
      if (i >= w && y[i - w] !== null) { sum -= y[i - w]; n--; }
      out.push(n ? sum / n : null);
    }
    return out;
  }

  function chart(title, x, series, options) {
    const W = 560, H = 210, L = 44, R = 10, T = 10, B = options.skipped ? 34 : 24;
    const values = series.flatMap((s) => s.y).filter((v) => v !== null && isFinite(v));
    let lo = options.range ? options.range[0] : Math.min(...values), hi = options.range ? options.range[1] : Math.max(...values);
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    const x0 = x[0], x1 = x[x.length - 1] > x0 ? x[x.length - 1] : x0 + 1;
    const px = (s) => L + (s - x0) / (x1 - x0) * (W - L - R), py = (v) => H - B - (v - lo) / (hi - lo) * (H - T - B);
    const root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': title });
    for (const t of niceTicks(lo, hi, 4)) {
      root.append(svg('line', { x1: L, x2: W - R, y1: py(t), y2: py(t), stroke: '#e3e6ea' }));
      const label = svg('text', { x: L - 5, y: py(t) + 3, 'text-anchor': 'end' });
      label.textContent = String(+t.toPrecision(4));
      root.append(label);
    }
    for (const t of niceTicks(x0, x1, 6)) {
      const label = svg('text', { x: px(t), y: H - B + 13, 'text-anchor': 'middle' });
      label.textContent = fmt(t);
      root.append(label);
    }
    if (options.hline !== undefined) {
      root.append(svg('line', { x1: L, x2: W - R, y1: py(options.hline), y2: py(options.hline), stroke: '#999', 'stroke-dasharray': '4 3' }));
    }
    const path = (y) => {
      let d = '', pen = false;
      y.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        d += (pen ? 'L' : 'M') + px(x[i]).toFixed(1) + ' ' + py(v).toFixed(1);
        pen = true;
      });
      return d;
    };
    series.forEach((s, n) => {
      const color = COLORS[n % COLORS.length];
      if (x.length > 60) root.append(svg('path', { d: path(s.y), fill: 'none', stroke: color, 'stroke-opacity': 0.22, 'stroke-width': 1 }));
      root.append(svg('path', { d: path(x.length > 60 ? smooth(s.y) : s.y), fill: 'none', stroke: color, 'stroke-width': 1.6 }));
    });
    // One tick a step (or bucket of steps) where the 80% rule left D alone, darker for more skipped steps.
    if (options.skipped) {
      const y = H - 9;
      options.skipped.forEach((updated, i) => {
        if (updated === null || updated >= 1) return;
        root.append(svg('line', { x1: px(x[i]), x2: px(x[i]), y1: y - 6, y2: y, stroke: '#b03a48', 'stroke-opacity': (1 - updated).toFixed(2) }));
      });
    }
    const legend = el('div', { class: 'legend' });
    series.forEach((s, n) => legend.append(el('i', { style: 'background:' + COLORS[n % COLORS.length] }), s.name));
    if (options.skipped) legend.append(el('i', { style: 'background:#b03a48;height:8px;width:2px' }), 'D update skipped (' + options.skippedShare + ' of steps)');
    if (options.hline !== undefined) legend.append(el('i', { style: 'border-top:2px dashed #999;height:0' }), 'threshold ' + options.hline);
    return el('div', { class: 'chart' }, [el('h3', {}, title), root, legend]);
  }

  function buildCurves() {
    const m = data.metrics, box = $('curves');
    if (!m || !m.step || m.step.length === 0) {
      box.append(el('p', { class: 'note' }, 'No metrics.csv in this run folder.'));
      return;
    }
    const training = (data.config && data.config.training) || {};
    const panels = [
      ['Adversarial losses', ['loss_d', 'loss_g', 'loss_gan']],
      ["D's gradient penalty (at its last penalised update)", ['loss_penalty']],
      ['KL (nats a latent dimension)', ['loss_kl']],
      ['Reconstruction (squared error a shape)', ['loss_recon']],
      ['D accuracy', ['d_accuracy', 'd_accuracy_real', 'd_accuracy_fake'], true],
    ];
    for (const [title, columns, accuracy] of panels) {
      const series = columns.filter((c) => m[c]).map((c) => ({ name: c.replace(/_/g, ' '), y: m[c] }));
      if (series.length === 0) continue;
      const options = {};
      if (accuracy) {
        options.range = [0, 1];
        if (training.DAccuracyThreshold !== undefined && training.DAccuracyThreshold < 1) options.hline = training.DAccuracyThreshold;
        if (m.d_updated) {
          options.skipped = m.d_updated;
          const updated = m.d_updated.reduce((s, v) => s + (v === null ? 1 : v), 0) / m.d_updated.length;
          options.skippedShare = (100 * (1 - updated)).toFixed(1) + '%';
        }
      }
      box.append(chart(title, m.step, series, options));
    }
    if (m.bucket > 1) box.append(el('p', { class: 'note' }, 'Each point is the mean of ' + m.bucket + ' steps.'));
  }

  // ---- Summary, settings, evaluation ------------------------------------------------------------------

  function buildText() {
    const c = data.config || {}, t = c.training || {}, a = t.Architecture || {}, m = data.metrics;
    $('title').textContent = 'gan3d run ' + data.run;
    const parts = [c.model || data.samples.model, (a.Resolution || data.samples.resolution) + '³' + (a.Width ? ', width ' + a.Width : '')];
    if (m && m.step && m.step.length) parts.push(fmt(m.step[m.step.length - 1]) + ' iterations');
    if (c.data) parts.push('data: ' + c.data + (c.shapes ? ' (' + fmt(c.shapes) + ' shapes)' : ''));
    if (c.device) parts.push(c.device);
    parts.push('report made ' + data.generated);
    $('summary').textContent = parts.join(' · ');

    const table = $('settings');
    const rows = [];
    const flatten = (prefix, v) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, w] of Object.entries(v)) flatten(prefix ? prefix + '.' + k : k, w);
      else rows.push([prefix, Array.isArray(v) ? v.join(', ') : String(v)]);
    };
    flatten('', data.config || {});
    if (rows.length === 0) rows.push(['config.json', 'not in this run folder']);
    for (const [k, v] of rows) table.append(el('tr', {}, [el('td', {}, k), el('td', {}, v)]));

    const box = $('eval');
    $('eval-section').hidden = false;
    const e = data.eval;
    if (e) {
      const pct = (x) => (100 * x).toFixed(1) + '%';
      const t2 = el('table', {}, el('tr', {}, ['set', '1-NNA', 'COV', 'MMD'].map((h) => el('th', {}, h))));
      const row = (name, r) => t2.append(el('tr', {}, [el('td', {}, name), el('td', { class: 'num' }, pct(r['1nna'])), el('td', { class: 'num' }, pct(r.cov)), el('td', { class: 'num' }, fmt(r.mmd))]));
      row('samples', e);
      for (const [k, r] of Object.entries(e.baselines || {})) row(k.replace(/_/g, ' '), r);
      box.append(el('p', {}, 'gan3d eval: ' + e.samples + ' samples against ' + e.reference + ' reference shapes, distance ' + (e.metric === 'iou' ? '1 − IoU' : 'Chamfer') +
        ' (1-NNA: 50% is ideal; COV: higher is better; MMD: lower is better).'), t2);
      if (e.memorisation) {
        const mm = e.memorisation;
        box.append(el('p', {}, 'Memorisation: nearest training shape at distance min ' + fmt(mm.min_distance, 3) + ', median ' + fmt(mm.median_distance, 3) +
          '; ' + mm.near_copies + ' near-copies (within ' + mm.threshold + ').'));
      }
    }
    const r = data.evalReconstruction;
    if (r) {
      box.append(el('p', {}, 'gan3d eval-reconstruction: mean IoU ' + fmt(r.mean_iou, 3) + ' on ' + r.shapes + ' held-out shapes (' + r.views + ' view' + (r.views === 1 ? '' : 's') +
        ' each, threshold ' + r.threshold + '); mean-shape baseline ' + fmt(r.baseline_mean_shape_iou, 3) + '.'));
      const t3 = el('table', {}, el('tr', {}, ['family', 'IoU', 'baseline'].map((h) => el('th', {}, h))));
      for (const [k, v] of Object.entries(r.per_class || {})) {
        t3.append(el('tr', {}, [el('td', {}, k), el('td', { class: 'num' }, fmt(v, 3)), el('td', { class: 'num' }, fmt((r.per_class_baseline || {})[k], 3))]));
      }
      box.append(t3);
    }
    if (!e && !r) {
      box.append(el('p', { class: 'note' }, 'No eval.json in this run folder. To show generation metrics here: gan3d eval --checkpoint RUN/checkpoint.safetensors ' +
        '--reference procedural --training procedural --baselines --json > RUN/eval.json, then gan3d report RUN' +
        (c.model === '3d-vae-gan' ? ' (and gan3d eval-reconstruction --checkpoint RUN/checkpoint.safetensors --json > RUN/eval-reconstruction.json).' : '.')));
    }
  }

  // ---- Start -------------------------------------------------------------------------------------------

  buildText();
  buildCurves();
  buildPickers();
  if (!gl) {
    const message = $('viewer-message');
    message.hidden = false;
    message.textContent = 'This browser gives no WebGL context, so the 3D view is off; the pictures on the right still show every shape.';
    select(0);
    return;
  }
  try {
    setupGl();
  } catch (error) {
    $('viewer-message').hidden = false;
    $('viewer-message').textContent = 'The 3D view failed to start: ' + error.message;
    return;
  }
  setupControls();
  // A link can open a given view: report.html#sample=3&threshold=0.3&mode=mesh (samples count from 1).
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has('threshold')) {
    state.threshold = Math.min(0.98, Math.max(0.02, Number(hash.get('threshold')) || 0.5));
    $('threshold').value = state.threshold;
    $('threshold-value').textContent = state.threshold.toFixed(2);
  }
  if (hash.get('mode') === 'mesh') setMode('mesh');
  select(hash.has('sample') ? (parseInt(hash.get('sample'), 10) || 1) - 1 : 0);
  draw();
  canvas.focus({ preventScroll: true });
})();
