/* Every kernel of the CUDA backend table on the CPU grid emulator, under
 * several schedule seeds, against float64 references written here from the
 * semantics in backend.h (and, for the random streams and the augmentation,
 * against the core's own CPU code, bit for bit). Operands have odd sizes,
 * broadcast and transposed strides, NaN where it matters, and empty shapes.
 * Built with ASan and UBSan. */
extern "C" {
#include "image/augment.h"
#include "rng.h"
}

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>

#include "emu/emu_backend.h"
#include "emu_test.h"


static const mien_backend *B;
static std::string current;

/* ---- operands: a typed buffer with a shape and element strides ---- */
struct Operand {
  std::vector<double> backing; /* 8 bytes per element at most */
  mien_strided s;
};

static size_t dsize(mien_dtype t) { return t == MIEN_UINT8 ? 1 : t == MIEN_FLOAT32 ? 4 : 8; }
static int64_t numel(const mien_strided &s) {
  int64_t n = 1;
  for (int d = 0; d < s.ndim; d++) n *= s.shape[d];
  return n;
}
static int64_t offset_of(const mien_strided &s, int64_t i) {
  int64_t off = 0;
  for (int d = s.ndim - 1; d >= 0; d--) {
    off += (i % s.shape[d]) * s.stride[d];
    i /= s.shape[d];
  }
  return off;
}
static double read_at(const mien_strided &s, int64_t off) {
  switch (s.dtype) {
    case MIEN_FLOAT32: return ((const float *)s.data)[off];
    case MIEN_FLOAT64: return ((const double *)s.data)[off];
    case MIEN_INT64: return (double)((const int64_t *)s.data)[off];
    default: return ((const uint8_t *)s.data)[off];
  }
}
static void write_at(const mien_strided &s, int64_t off, double v) {
  switch (s.dtype) {
    case MIEN_FLOAT32: ((float *)s.data)[off] = (float)v; break;
    case MIEN_FLOAT64: ((double *)s.data)[off] = v; break;
    case MIEN_INT64: ((int64_t *)s.data)[off] = (int64_t)v; break;
    default: ((uint8_t *)s.data)[off] = (uint8_t)v; break;
  }
}
static double get(const Operand &o, int64_t i) { return read_at(o.s, offset_of(o.s, i)); }

/* A tensor of `shape`; transposed: its last two dims laid out swapped. */
static Operand make(mien_dtype dtype, std::vector<int64_t> shape, bool transposed, double lo, double hi) {
  Operand o;
  o.s.dtype = dtype;
  o.s.ndim = (int)shape.size();
  int64_t n = 1;
  for (int d = 0; d < o.s.ndim; d++) o.s.shape[d] = shape[d], n *= shape[d];
  std::vector<int> order(o.s.ndim);
  for (int d = 0; d < o.s.ndim; d++) order[d] = d;
  if (transposed && o.s.ndim >= 2) std::swap(order[o.s.ndim - 1], order[o.s.ndim - 2]);
  int64_t step = 1;
  for (int k = o.s.ndim - 1; k >= 0; k--) o.s.stride[order[k]] = step, step *= shape[order[k]];
  o.backing.assign((size_t)(n > 0 ? n : 1), 0.0);
  o.s.data = o.backing.data();
  for (int64_t i = 0; i < n; i++) {
    double v = uniform(lo, hi);
    if (dtype == MIEN_INT64 || dtype == MIEN_UINT8) v = std::floor(v);
    write_at(o.s, offset_of(o.s, i), v);
  }
  (void)dsize;
  return o;
}
/* o's strides broadcast to shape (stride 0 where o has size 1). */
static mien_strided broadcast(const Operand &o, const std::vector<int64_t> &shape) {
  mien_strided s = o.s;
  for (int d = 0; d < s.ndim; d++)
    if (s.shape[d] == 1 && shape[d] != 1) s.stride[d] = 0, s.shape[d] = shape[d];
  return s;
}

static void expect_close(const char *what, double got, double want, double rtol, double atol) {
  if (close(got, want, rtol, atol)) return;
  if (failures < 30) fprintf(stderr, "%s %s: got %.9g, want %.9g\n", current.c_str(), what, got, want);
  failures++;
}
static double tol(mien_dtype t) { return t == MIEN_FLOAT32 ? 2e-5 : 1e-12; }

/* ---- elementwise ---- */
static double ref_binary(int op, double x, double y, mien_dtype t) {
  auto round = [t](double v) { return t == MIEN_FLOAT32 ? (double)(float)v : t == MIEN_INT64 ? std::trunc(v) : v; };
  switch (op) {
    case MIEN_ADD: return round(x + y);
    case MIEN_SUB: return round(x - y);
    case MIEN_MUL: return round(x * y);
    case MIEN_DIV: return t == MIEN_INT64 ? (double)((int64_t)x / (int64_t)y) : round(x / y);
    case MIEN_POW: return round(std::pow(x, y));
    case MIEN_MAXIMUM: return (x > y || x != x) ? x : y;
    case MIEN_MINIMUM: return (x < y || x != x) ? x : y;
    case MIEN_EQ: return x == y;
    case MIEN_NE: return x != y;
    case MIEN_LT: return x < y;
    case MIEN_LE: return x <= y;
    case MIEN_GT: return x > y;
    default: return x >= y;
  }
}

static void check_binary() {
  const std::vector<int64_t> shape = {5, 6, 7};
  for (mien_dtype t : {MIEN_FLOAT32, MIEN_FLOAT64, MIEN_INT64}) {
    for (int op = 0; op < MIEN_NUM_BINARY_OPS; op++) {
      current = "binary op " + std::to_string(op) + " dtype " + std::to_string(t);
      const double lo = t == MIEN_INT64 ? 1 : 0.1;
      Operand a = make(t, {5, 1, 7}, false, lo, 4), b = make(t, {1, 6, 7}, true, lo, 4);
      if (t != MIEN_INT64) write_at(a.s, 3, NAN);
      const mien_dtype ot = op >= MIEN_EQ ? MIEN_UINT8 : t;
      Operand out = make(ot, shape, op % 2 == 1, 0, 0);
      mien_strided sa = broadcast(a, shape), sb = broadcast(b, shape);
      CHECK_OK(B->binary((mien_binary_op)op, &out.s, &sa, &sb));
      for (int64_t i = 0; i < numel(out.s); i++)
        expect_close("value", get(out, i), ref_binary(op, read_at(sa, offset_of(sa, i)), read_at(sb, offset_of(sb, i)), t),
                     tol(t), 0);
    }
  }
}

static double ref_unary(int op, double x, double p0, double p1) {
  switch (op) {
    case MIEN_NEG: return -x;
    case MIEN_EXP: return std::exp(x);
    case MIEN_LOG: return std::log(x);
    case MIEN_SQRT: return std::sqrt(x);
    case MIEN_ABS: return std::fabs(x);
    case MIEN_RELU: return x > 0 ? x : 0;
    case MIEN_SIGMOID: return 1 / (1 + std::exp(-x));
    case MIEN_TANH: return std::tanh(x);
    case MIEN_SIN: return std::sin(x);
    case MIEN_COS: return std::cos(x);
    case MIEN_SIGN: return (x > 0) - (x < 0);
    case MIEN_FLOOR: return std::floor(x);
    case MIEN_CEIL: return std::ceil(x);
    case MIEN_ROUND: return std::nearbyint(x);
    case MIEN_RSQRT: return 1 / std::sqrt(x);
    case MIEN_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case MIEN_CLAMP: return (p0 == p0 && x < p0) ? p0 : (p1 == p1 && x > p1) ? p1 : x;
    case MIEN_LEAKY_RELU: return x > 0 ? x : x * p0;
    default: return x * p0;
  }
}

static void check_unary() {
  for (mien_dtype t : {MIEN_FLOAT32, MIEN_FLOAT64}) {
    for (int op = 0; op < MIEN_NUM_UNARY_OPS; op++) {
      current = "unary op " + std::to_string(op);
      Operand a = make(t, {9, 13}, true, -8, 8), out = make(t, {9, 13}, false, 0, 0);
      write_at(a.s, 0, NAN);
      const double p0 = op == MIEN_CLAMP ? -1.5 : 0.25, p1 = op == MIEN_CLAMP ? NAN : 0;
      CHECK_OK(B->unary((mien_unary_op)op, &out.s, &a.s, p0, p1));
      for (int64_t i = 0; i < numel(out.s); i++)
        expect_close("value", get(out, i), ref_unary(op, get(a, i), p0, p1), tol(t) * 4, tol(t));
    }
  }
  current = "unary in place";
  Operand a = make(MIEN_FLOAT32, {33}, false, -1, 1), before = a;
  before.s.data = before.backing.data();
  CHECK_OK(B->unary(MIEN_SCALE, &a.s, &a.s, 3.0, 0));
  for (int64_t i = 0; i < 33; i++) expect_close("scale", get(a, i), (double)(float)(get(before, i) * 3.0), 1e-7, 0);
}

static void check_where_fill_copy() {
  const std::vector<int64_t> shape = {4, 5, 3};
  current = "where";
  Operand c = make(MIEN_UINT8, {4, 1, 3}, false, 0, 2), a = make(MIEN_FLOAT64, shape, true, -1, 1),
          b = make(MIEN_FLOAT64, {1, 5, 3}, false, -1, 1), out = make(MIEN_FLOAT64, shape, false, 0, 0);
  mien_strided sc = broadcast(c, shape), sb = broadcast(b, shape);
  CHECK_OK(B->where(&out.s, &sc, &a.s, &sb));
  for (int64_t i = 0; i < 60; i++)
    expect_close("value", get(out, i), read_at(sc, offset_of(sc, i)) ? get(a, i) : read_at(sb, offset_of(sb, i)), 0, 0);

  current = "masked_grad";
  Operand g = make(MIEN_FLOAT32, shape, false, -1, 1), x = make(MIEN_FLOAT32, shape, true, -2, 8);
  Operand mg = make(MIEN_FLOAT32, shape, false, 0, 0);
  CHECK_OK(B->masked_grad(&mg.s, &g.s, &x.s, 0.0, 6.0, 0.1));
  for (int64_t i = 0; i < 60; i++) {
    const double xv = get(x, i), want = xv > 0 && xv < 6 ? get(g, i) : (double)(float)(get(g, i) * 0.1);
    expect_close("value", get(mg, i), want, 1e-7, 0);
  }

  current = "axpy";
  Operand acc = make(MIEN_FLOAT64, shape, false, -1, 1), base = acc, add = make(MIEN_FLOAT64, shape, true, -1, 1);
  base.s.data = base.backing.data();
  CHECK_OK(B->axpy(&acc.s, &add.s, -0.5));
  for (int64_t i = 0; i < 60; i++) expect_close("value", get(acc, i), get(base, i) - 0.5 * get(add, i), 1e-15, 0);

  current = "fill";
  Operand f = make(MIEN_INT64, shape, true, 0, 0);
  CHECK_OK(B->fill(&f.s, 42));
  for (int64_t i = 0; i < 60; i++) expect_close("value", get(f, i), 42, 0, 0);

  current = "arange";
  std::vector<float> r(37);
  CHECK_OK(B->arange(r.data(), MIEN_FLOAT32, 37, -2.0, 0.25));
  for (int i = 0; i < 37; i++) expect_close("value", r[i], -2.0 + 0.25 * i, 0, 0);

  current = "copy_strided (casts, broadcast)";
  for (mien_dtype from : {MIEN_FLOAT64, MIEN_FLOAT32, MIEN_UINT8, MIEN_INT64})
    for (mien_dtype to : {MIEN_FLOAT32, MIEN_INT64, MIEN_UINT8}) {
      Operand src = make(from, {4, 1, 3}, false, 0, 200), dst = make(to, shape, true, 0, 0);
      mien_strided ss = broadcast(src, shape);
      CHECK_OK(B->copy_strided(&dst.s, &ss));
      for (int64_t i = 0; i < 60; i++) {
        const double v = read_at(ss, offset_of(ss, i));
        const double want = to == MIEN_FLOAT32 ? (double)(float)v : to == MIEN_INT64 ? std::trunc(v) : (double)(uint8_t)v;
        expect_close("value", get(dst, i), want, 0, 0);
      }
    }
  current = "empty operands";
  Operand e = make(MIEN_FLOAT32, {3, 0, 2}, false, 0, 0);
  CHECK_OK(B->fill(&e.s, 1));
  CHECK_OK(B->unary(MIEN_EXP, &e.s, &e.s, 0, 0));
}

/* ---- reductions ---- */
static void check_reduce() {
  const std::vector<int64_t> shape = {6, 35, 9};
  const std::vector<std::vector<int>> sets = {{0}, {1}, {2}, {1, 2}, {0, 2}, {0, 1, 2}};
  for (mien_dtype t : {MIEN_FLOAT32, MIEN_FLOAT64})
    for (int op = MIEN_SUM; op <= MIEN_PROD; op++)
      for (const auto &set : sets) {
        current = "reduce op " + std::to_string(op) + " over " + std::to_string(set.size()) + " dims";
        Operand in = make(t, shape, true, op == MIEN_PROD ? 0.9 : -2, op == MIEN_PROD ? 1.1 : 2);
        if (op == MIEN_MAX && set.size() == 1 && set[0] == 1) write_at(in.s, offset_of(in.s, 40), NAN);
        bool reduced[MIEN_MAX_DIMS] = {false};
        std::vector<int64_t> oshape = shape;
        for (int d : set) reduced[d] = true, oshape[d] = 1;
        Operand out = make(t, oshape, false, 0, 0);
        CHECK_OK(B->reduce((mien_reduce_op)op, &out.s, &in.s, reduced));
        std::vector<double> want(numel(out.s), op == MIEN_PROD ? 1 : op == MIEN_MAX ? -INFINITY : op == MIEN_MIN ? INFINITY : 0);
        int64_t count = 1;
        for (int d : set) count *= shape[d];
        for (int64_t i = 0; i < numel(in.s); i++) {
          const int64_t i0 = i / (35 * 9), i1 = i / 9 % 35, i2 = i % 9;
          const int64_t o = (reduced[0] ? 0 : i0) * oshape[1] * oshape[2] + (reduced[1] ? 0 : i1) * oshape[2] + (reduced[2] ? 0 : i2);
          const double v = get(in, i);
          double &w = want[o];
          if (op == MIEN_SUM || op == MIEN_MEAN) w += v;
          else if (op == MIEN_PROD) w *= v;
          else if (v != v || w != w) w = NAN;
          else w = op == MIEN_MAX ? std::max(w, v) : std::min(w, v);
        }
        for (int64_t o = 0; o < numel(out.s); o++)
          expect_close("value", get(out, o), op == MIEN_MEAN ? want[o] / count : want[o], tol(t), tol(t));
      }
  for (bool want_max : {true, false}) {
    current = want_max ? "argmax" : "argmin";
    Operand in = make(MIEN_FLOAT32, {7, 13}, true, -3, 3), out = make(MIEN_INT64, {1, 13}, false, 0, 0);
    write_at(in.s, offset_of(in.s, 2 * 13 + 5), NAN);
    CHECK_OK(B->arg_reduce(want_max, &out.s, &in.s, 0));
    for (int64_t j = 0; j < 13; j++) {
      int64_t best = 0;
      for (int64_t k = 1; k < 7; k++) {
        const double v = get(in, k * 13 + j), b = get(in, best * 13 + j);
        if (want_max ? v > b : v < b) best = k;
      }
      expect_close("index", get(out, j), (double)best, 0, 0);
    }
  }
  current = "sum_squares";
  Operand in = make(MIEN_FLOAT64, {17, 19}, true, -1, 1);
  double got = -1, want = 0;
  for (int64_t i = 0; i < 17 * 19; i++) want += get(in, i) * get(in, i);
  CHECK_OK(B->sum_squares(&in.s, &got));
  expect_close("value", got, want, 1e-12, 0);
}

/* ---- softmax family ---- */
static void check_softmax() {
  for (mien_dtype t : {MIEN_FLOAT32, MIEN_FLOAT64})
    for (bool log : {false, true})
      for (int64_t inner : {1, 5}) {
        current = std::string(log ? "log_" : "") + "softmax inner " + std::to_string(inner);
        const int64_t outer = 3, n = 131;
        Operand x = make(t, {outer, n, inner}, false, -20, 20), y = make(t, {outer, n, inner}, false, 0, 0);
        Operand dy = make(t, {outer, n, inner}, false, -1, 1), dx = make(t, {outer, n, inner}, false, 0, 0);
        CHECK_OK(B->softmax_forward(t, log, outer, n, inner, x.s.data, y.s.data));
        CHECK_OK(B->softmax_backward(t, log, outer, n, inner, y.s.data, dy.s.data, dx.s.data));
        for (int64_t o = 0; o < outer; o++)
          for (int64_t i = 0; i < inner; i++) {
            double m = -INFINITY, s = 0, dot = 0;
            for (int64_t k = 0; k < n; k++) m = std::max(m, get(x, (o * n + k) * inner + i));
            for (int64_t k = 0; k < n; k++) s += std::exp(get(x, (o * n + k) * inner + i) - m);
            for (int64_t k = 0; k < n; k++) {
              const int64_t at = (o * n + k) * inner + i;
              const double yv = get(y, at);
              dot += log ? get(dy, at) : get(dy, at) * yv;
              const double want = log ? get(x, at) - m - std::log(s) : std::exp(get(x, at) - m) / s;
              expect_close("y", yv, want, tol(t) * 10, tol(t));
            }
            for (int64_t k = 0; k < n; k++) {
              const int64_t at = (o * n + k) * inner + i;
              const double yv = get(y, at), want = log ? get(dy, at) - std::exp(yv) * dot : yv * (get(dy, at) - dot);
              expect_close("dx", get(dx, at), want, tol(t) * 10, tol(t) * 10);
            }
          }
      }
  for (bool weighted : {false, true}) {
    current = std::string("cross_entropy") + (weighted ? " weighted" : "");
    const int64_t N = 37, C = 7;
    const double s = 0.1;
    Operand x = make(MIEN_FLOAT64, {N, C}, false, -5, 5), lp = make(MIEN_FLOAT64, {N, C}, false, 0, 0);
    Operand loss = make(MIEN_FLOAT64, {N}, false, 0, 0), w = make(MIEN_FLOAT64, {C}, false, 0.5, 2);
    Operand dl = make(MIEN_FLOAT64, {N}, false, -1, 1), dx = make(MIEN_FLOAT64, {N, C}, false, 0, 0);
    std::vector<int64_t> labels(N);
    for (auto &l : labels) l = (int64_t)uniform(0, C - 0.001);
    const void *wp = weighted ? w.s.data : nullptr;
    CHECK_OK(B->cross_entropy_forward(MIEN_FLOAT64, N, C, x.s.data, labels.data(), wp, s, lp.s.data, loss.s.data));
    CHECK_OK(B->cross_entropy_backward(MIEN_FLOAT64, N, C, lp.s.data, labels.data(), wp, s, dl.s.data, dx.s.data));
    for (int64_t i = 0; i < N; i++) {
      double m = -INFINITY, se = 0, smooth = 0, wsum = 0;
      for (int64_t c = 0; c < C; c++) m = std::max(m, get(x, i * C + c));
      for (int64_t c = 0; c < C; c++) se += std::exp(get(x, i * C + c) - m);
      const double lse = m + std::log(se);
      auto wc = [&](int64_t c) { return weighted ? get(w, c) : 1.0; };
      for (int64_t c = 0; c < C; c++) smooth += wc(c) * (get(x, i * C + c) - lse), wsum += wc(c);
      const int64_t y = labels[i];
      expect_close("loss", get(loss, i), -(1 - s) * wc(y) * (get(x, i * C + y) - lse) - s / C * smooth, 1e-12, 1e-12);
      const double Wi = (1 - s) * wc(y) + s / C * wsum;
      for (int64_t c = 0; c < C; c++) {
        expect_close("logp", get(lp, i * C + c), get(x, i * C + c) - lse, 1e-12, 1e-12);
        const double want = get(dl, i) * (std::exp(get(x, i * C + c) - lse) * Wi - (c == y ? (1 - s) * wc(y) : 0) - s / C * wc(c));
        expect_close("dlogits", get(dx, i * C + c), want, 1e-12, 1e-12);
      }
    }
  }
}

/* ---- random streams: the CPU's own functions are the reference ---- */
static void check_random() {
  const uint64_t seed = 0x1234567890ull, base = 77;
  const int64_t n = 1003;
  current = "uniform";
  std::vector<double> cpu(n);
  Operand u = make(MIEN_FLOAT64, {17, 59}, true, 0, 0);
  CHECK_OK(B->uniform(&u.s, seed, base, -2, 3));
  mien_fill_uniform_f64(seed, base, n, -2, 3, cpu.data());
  for (int64_t i = 0; i < n; i++) expect_close("value", get(u, i), cpu[i], 0, 0);
  current = "normal";
  Operand g = make(MIEN_FLOAT32, {n}, false, 0, 0);
  CHECK_OK(B->normal(&g.s, seed, base, 1, 2));
  mien_fill_normal_f64(seed, base, n, 1, 2, cpu.data());
  for (int64_t i = 0; i < n; i++) expect_close("value", get(g, i), (double)(float)cpu[i], 0, 0);
  current = "bernoulli and dropout";
  Operand bern = make(MIEN_UINT8, {n}, false, 0, 0), x = make(MIEN_FLOAT32, {n}, false, -1, 1);
  Operand y = make(MIEN_FLOAT32, {n}, false, 0, 0);
  std::vector<uint8_t> mask(n);
  const double p = 0.3;
  CHECK_OK(B->bernoulli(&bern.s, seed, base, 1 - p));
  CHECK_OK(B->dropout(MIEN_FLOAT32, n, x.s.data, p, seed, base, y.s.data, mask.data()));
  const uint32_t threshold = mien_unit_threshold(1 - p);
  int64_t kept = 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t w[4];
    mien_philox(seed, base + (uint64_t)(i / 4), w);
    const bool keep = (w[i % 4] >> 8) < threshold;
    kept += keep;
    expect_close("bernoulli", get(bern, i), keep, 0, 0);
    expect_close("mask", mask[i], keep, 0, 0);
    expect_close("dropout", get(y, i), (double)((float)get(x, i) * (keep ? (float)(1 / (1 - p)) : 0.0f)), 0, 0);
  }
  CHECK(kept > n / 2 && kept < n * 9 / 10);
}

/* ---- pooling ---- */
static void check_pool() {
  struct Case { int64_t H, W, K, S, P; int ceil, incl; };
  for (Case c : {Case{9, 7, 3, 2, 1, 1, 1}, Case{9, 7, 3, 2, 1, 1, 0}, Case{8, 8, 2, 2, 0, 0, 1}, Case{5, 11, 4, 3, 2, 0, 0}}) {
    current = "pool " + std::to_string(c.H) + "x" + std::to_string(c.W) + " k" + std::to_string(c.K);
    mien_pool2d_params p = {2, 3, c.H, c.W, c.K, c.K, c.S, c.S, c.P, c.P, c.ceil, c.incl};
    auto axis = [&](int64_t size) {
      const int64_t span = size + 2 * c.P - c.K + (c.ceil ? c.S - 1 : 0);
      int64_t o = span / c.S + 1;
      if (c.ceil && (o - 1) * c.S >= size + c.P) o--;
      return o;
    };
    const int64_t OH = axis(c.H), OW = axis(c.W), planes = 6;
    Operand x = make(MIEN_FLOAT64, {2, 3, c.H, c.W}, false, -1, 1), y = make(MIEN_FLOAT64, {2, 3, OH, OW}, false, 0, 0);
    Operand ya = y, dy = make(MIEN_FLOAT64, {2, 3, OH, OW}, false, -1, 1), dx = make(MIEN_FLOAT64, {2, 3, c.H, c.W}, false, 7, 8);
    ya.s.data = ya.backing.data();
    Operand dxa = dx;
    dxa.s.data = dxa.backing.data();
    std::vector<int64_t> idx(planes * OH * OW);
    CHECK_OK(B->max_pool2d_forward(&p, MIEN_FLOAT64, x.s.data, y.s.data, idx.data()));
    CHECK_OK(B->avg_pool2d_forward(&p, MIEN_FLOAT64, x.s.data, ya.s.data));
    CHECK_OK(B->max_pool2d_backward(&p, MIEN_FLOAT64, dy.s.data, idx.data(), dx.s.data));
    CHECK_OK(B->avg_pool2d_backward(&p, MIEN_FLOAT64, dy.s.data, dxa.s.data));
    std::vector<double> wdx(planes * c.H * c.W, 0.0), wdxa(planes * c.H * c.W, 0.0);
    for (int64_t pl = 0; pl < planes; pl++)
      for (int64_t oh = 0; oh < OH; oh++)
        for (int64_t ow = 0; ow < OW; ow++) {
          const int64_t h0 = oh * c.S - c.P, w0 = ow * c.S - c.P;
          const int64_t h1p = std::min(h0 + c.K, c.H + c.P), w1p = std::min(w0 + c.K, c.W + c.P);
          const int64_t hs = std::max<int64_t>(h0, 0), ws = std::max<int64_t>(w0, 0), he = std::min(h1p, c.H), we = std::min(w1p, c.W);
          double best = -INFINITY, sum = 0;
          int64_t at = hs * c.W + ws;
          for (int64_t h = hs; h < he; h++)
            for (int64_t w = ws; w < we; w++) {
              const double v = get(x, pl * c.H * c.W + h * c.W + w);
              sum += v;
              if (v > best) best = v, at = h * c.W + w;
            }
          const double div = c.incl ? (double)((h1p - h0) * (w1p - w0)) : (double)((he - hs) * (we - ws));
          const int64_t o = (pl * OH + oh) * OW + ow;
          expect_close("max", get(y, o), best, 0, 0);
          expect_close("argmax", (double)idx[o], (double)at, 0, 0);
          expect_close("avg", get(ya, o), sum / div, 1e-14, 1e-15);
          wdx[pl * c.H * c.W + at] += get(dy, o);
          for (int64_t h = hs; h < he; h++)
            for (int64_t w = ws; w < we; w++) wdxa[pl * c.H * c.W + h * c.W + w] += get(dy, o) / div;
        }
    for (int64_t i = 0; i < planes * c.H * c.W; i++) {
      expect_close("max dx", get(dx, i), wdx[i], 1e-14, 1e-15);
      expect_close("avg dx", get(dxa, i), wdxa[i], 1e-14, 1e-15);
    }
  }
}

/* ---- index ops ---- */
static void check_index() {
  current = "index_select / index_add";
  const int64_t m = 11;
  std::vector<int64_t> index(m);
  for (auto &i : index) i = (int64_t)uniform(0, 4.999);
  Operand in = make(MIEN_FLOAT32, {3, 5, 6}, true, -1, 1), out = make(MIEN_FLOAT32, {3, m, 6}, false, 0, 0);
  CHECK_OK(B->index_select(&out.s, &in.s, 1, index.data(), m));
  for (int64_t a = 0; a < 3; a++)
    for (int64_t j = 0; j < m; j++)
      for (int64_t c = 0; c < 6; c++) expect_close("select", get(out, (a * m + j) * 6 + c), get(in, (a * 5 + index[j]) * 6 + c), 0, 0);
  Operand acc = make(MIEN_FLOAT64, {3, 5, 6}, false, 0, 0), src = make(MIEN_FLOAT64, {3, m, 6}, true, -1, 1);
  CHECK_OK(B->index_add(&acc.s, 1, index.data(), m, &src.s));
  std::vector<double> want(90, 0.0);
  for (int64_t a = 0; a < 3; a++)
    for (int64_t j = 0; j < m; j++)
      for (int64_t c = 0; c < 6; c++) want[(a * 5 + index[j]) * 6 + c] += get(src, (a * m + j) * 6 + c);
  for (int64_t i = 0; i < 90; i++) expect_close("add", get(acc, i), want[i], 1e-15, 1e-15);

  current = "gather / scatter_add";
  Operand gi = make(MIEN_INT64, {4, 9}, true, 0, 6.999), gin = make(MIEN_FLOAT64, {4, 7}, false, -1, 1);
  Operand gout = make(MIEN_FLOAT64, {4, 9}, false, 0, 0), sacc = make(MIEN_FLOAT64, {4, 7}, false, 0, 0);
  CHECK_OK(B->gather(&gout.s, &gin.s, 1, &gi.s));
  CHECK_OK(B->scatter_add(&sacc.s, 1, &gi.s, &gout.s));
  std::vector<double> sw(28, 0.0);
  for (int64_t r = 0; r < 4; r++)
    for (int64_t j = 0; j < 9; j++) {
      const int64_t k = (int64_t)get(gi, r * 9 + j);
      expect_close("gather", get(gout, r * 9 + j), get(gin, r * 7 + k), 0, 0);
      sw[r * 7 + k] += get(gout, r * 9 + j);
    }
  for (int64_t i = 0; i < 28; i++) expect_close("scatter_add", get(sacc, i), sw[i], 1e-15, 1e-15);

  current = "cat";
  Operand p0 = make(MIEN_UINT8, {3, 2, 5}, false, 0, 255), p1 = make(MIEN_UINT8, {3, 4, 5}, true, 0, 255);
  Operand p2 = make(MIEN_UINT8, {3, 0, 5}, false, 0, 0), cat = make(MIEN_UINT8, {3, 6, 5}, false, 0, 0);
  mien_strided parts[3] = {p0.s, p2.s, p1.s};
  CHECK_OK(B->cat(&cat.s, 3, parts, 1));
  for (int64_t a = 0; a < 3; a++)
    for (int64_t j = 0; j < 6; j++)
      for (int64_t c = 0; c < 5; c++)
        expect_close("value", get(cat, (a * 6 + j) * 5 + c), j < 2 ? get(p0, (a * 2 + j) * 5 + c) : get(p1, (a * 4 + j - 2) * 5 + c), 0, 0);
}

/* ---- optimizers: 19 tensors (two chunks) of odd sizes in one call ---- */
static void check_optim() {
  const int n = 19;
  for (int which = 0; which < 3; which++) {
    current = which == 0 ? "sgd" : which == 1 ? "adam" : "rmsprop";
    std::vector<std::vector<double>> p(n), g(n), s0(n), s1(n), s2(n), rp, r0, r1, r2;
    std::vector<mien_optim_slot> slots(n);
    for (int k = 0; k < n; k++) {
      const size_t len = (size_t)(k * 37 % 101 + 1);
      for (auto *v : {&p[k], &g[k]}) v->resize(len);
      for (auto *v : {&s0[k], &s1[k], &s2[k]}) v->resize(len);
      for (size_t i = 0; i < len; i++) p[k][i] = uniform(-1, 1), g[k][i] = uniform(-1, 1), s0[k][i] = uniform(0, 1),
                                        s1[k][i] = uniform(0, 0.1), s2[k][i] = uniform(0, 1);
      slots[k] = {p[k].data(), g[k].data(), {s0[k].data(), s1[k].data(), s2[k].data()}, (int64_t)len};
    }
    rp = p, r0 = s0, r1 = s1, r2 = s2;
    if (which == 0) {
      mien_sgd_opts o = {0.1, 0.9, 0.1, 0.01, true, false};
      CHECK_OK(B->sgd_update(&o, MIEN_FLOAT64, n, slots.data()));
      for (int k = 0; k < n; k++)
        for (size_t i = 0; i < p[k].size(); i++) {
          double gg = g[k][i] + 0.01 * rp[k][i];
          r0[k][i] = 0.9 * r0[k][i] + 0.9 * gg;
          gg = gg + 0.9 * r0[k][i];
          rp[k][i] -= 0.1 * gg;
        }
    } else if (which == 1) {
      mien_adam_opts o = {1e-3, 0.9, 0.999, 1e-8, 0.01, 3, true, true};
      CHECK_OK(B->adam_update(&o, MIEN_FLOAT64, n, slots.data()));
      for (int k = 0; k < n; k++)
        for (size_t i = 0; i < p[k].size(); i++) {
          rp[k][i] *= 1 - 1e-3 * 0.01;
          const double gg = g[k][i];
          r0[k][i] = 0.9 * r0[k][i] + 0.1 * gg;
          r1[k][i] = 0.999 * r1[k][i] + 0.001 * gg * gg;
          r2[k][i] = std::max(r2[k][i], r1[k][i]);
          rp[k][i] -= 1e-3 / (1 - std::pow(0.9, 3)) * r0[k][i] / (std::sqrt(r2[k][i]) / std::sqrt(1 - std::pow(0.999, 3)) + 1e-8);
        }
    } else {
      mien_rmsprop_opts o = {0.01, 0.99, 1e-8, 0.0, 0.5, true};
      for (int k = 0; k < n; k++)
        for (size_t i = 0; i < p[k].size(); i++) s1[k][i] = r1[k][i] = 0.01 * s1[k][i];
      CHECK_OK(B->rmsprop_update(&o, MIEN_FLOAT64, n, slots.data()));
      for (int k = 0; k < n; k++)
        for (size_t i = 0; i < p[k].size(); i++) {
          const double gg = g[k][i];
          r0[k][i] = 0.99 * r0[k][i] + 0.01 * gg * gg;
          r1[k][i] = 0.99 * r1[k][i] + 0.01 * gg;
          const double avg = std::sqrt(r0[k][i] - r1[k][i] * r1[k][i]) + 1e-8;
          r2[k][i] = 0.5 * r2[k][i] + gg / avg;
          rp[k][i] -= 0.01 * r2[k][i];
        }
    }
    for (int k = 0; k < n; k++)
      for (size_t i = 0; i < p[k].size(); i++) {
        expect_close("param", p[k][i], rp[k][i], 1e-12, 1e-14);
        expect_close("state0", s0[k][i], r0[k][i], 1e-12, 1e-14);
      }
  }
}

/* ---- batch norm: training forward and backward against the formulas ---- */
static void check_batchnorm() {
  current = "batchnorm";
  const int64_t N = 3, C = 5, S = 7, M = N * S;
  mien_batchnorm_params p = {N, C, S, 1e-5, 0.1};
  Operand x = make(MIEN_FLOAT64, {N, C, S}, false, -2, 2), y = make(MIEN_FLOAT64, {N, C, S}, false, 0, 0);
  Operand dy = make(MIEN_FLOAT64, {N, C, S}, false, -1, 1), dx = make(MIEN_FLOAT64, {N, C, S}, false, 0, 0);
  Operand g = make(MIEN_FLOAT64, {C}, false, 0.5, 1.5), b = make(MIEN_FLOAT64, {C}, false, -1, 1);
  Operand rm = make(MIEN_FLOAT64, {C}, false, 0, 0), rv = make(MIEN_FLOAT64, {C}, false, 1, 1);
  Operand sm = make(MIEN_FLOAT64, {C}, false, 0, 0), si = make(MIEN_FLOAT64, {C}, false, 0, 0);
  Operand dg = make(MIEN_FLOAT64, {C}, false, 0, 0), db = make(MIEN_FLOAT64, {C}, false, 0, 0);
  CHECK_OK(B->batchnorm_forward_train(&p, MIEN_FLOAT64, x.s.data, g.s.data, b.s.data, rm.s.data, rv.s.data, sm.s.data,
                                      si.s.data, y.s.data));
  CHECK_OK(B->batchnorm_backward_train(&p, MIEN_FLOAT64, x.s.data, dy.s.data, g.s.data, sm.s.data, si.s.data,
                                       dx.s.data, dg.s.data, db.s.data));
  for (int64_t c = 0; c < C; c++) {
    double mean = 0, var = 0, sdy = 0, sdyx = 0;
    for (int64_t k = 0; k < M; k++) mean += get(x, (k / S * C + c) * S + k % S) / M;
    for (int64_t k = 0; k < M; k++) var += std::pow(get(x, (k / S * C + c) * S + k % S) - mean, 2) / M;
    const double inv = 1 / std::sqrt(var + 1e-5);
    for (int64_t k = 0; k < M; k++) {
      const int64_t at = (k / S * C + c) * S + k % S;
      expect_close("y", get(y, at), (get(x, at) - mean) * inv * get(g, c) + get(b, c), 1e-12, 1e-12);
      sdy += get(dy, at), sdyx += get(dy, at) * (get(x, at) - mean) * inv;
    }
    expect_close("running_var", get(rv, c), 0.9 + 0.1 * var * M / (M - 1), 1e-12, 1e-12);
    expect_close("dgamma", get(dg, c), sdyx, 1e-12, 1e-12);
    expect_close("dbeta", get(db, c), sdy, 1e-12, 1e-12);
    for (int64_t k = 0; k < M; k++) {
      const int64_t at = (k / S * C + c) * S + k % S;
      const double xhat = (get(x, at) - mean) * inv;
      expect_close("dx", get(dx, at), get(g, c) * inv / M * (M * get(dy, at) - sdy - xhat * sdyx), 1e-10, 1e-12);
    }
  }
}

/* ---- augmentation: bit for bit the CPU's mien_augment_batch ---- */
static void check_augment() {
  for (int c : {1, 3})
    for (int oc : {1, 3}) {
      current = "augment c" + std::to_string(c) + " -> " + std::to_string(oc);
      const int h = 23, w = 19, n_src = 5, batch = 7;
      std::vector<uint8_t> src((size_t)n_src * h * w * c);
      for (auto &v : src) v = (uint8_t)uniform(0, 255.99);
      mien_augment_params p = mien_augment_defaults(17, 21, oc);
      p.rotate_deg = 15, p.shear_deg = 10, p.zoom_lo = 0.9f, p.zoom_hi = 1.2f, p.translate_x = 0.1f, p.translate_y = 0.05f;
      p.flip_prob = 0.5f, p.border = c == 1 ? MIEN_BORDER_ZERO : MIEN_BORDER_REPLICATE, p.brightness = 0.1f;
      p.contrast_lo = 0.8f, p.contrast_hi = 1.2f, p.erase_prob = 0.7f;
      for (int k = 0; k < oc; k++) p.mean[k] = 0.5f, p.std[k] = 0.25f;
      const int64_t indices[batch] = {4, 0, 2, 2, 1, 3, 0};
      const size_t nout = (size_t)batch * oc * 17 * 21;
      std::vector<float> cpu(nout), emu(nout);
      CHECK(mien_augment_batch(&p, src.data(), n_src, h, w, c, indices, batch, 99, 1000, cpu.data()) == 0);
      CHECK_OK(B->augment_batch(&p, src.data(), n_src, h, w, c, indices, batch, 99, 1000, emu.data()));
      size_t differ = 0;
      for (size_t i = 0; i < nout; i++) differ += std::memcmp(&cpu[i], &emu[i], sizeof(float)) != 0;
      if (differ) fprintf(stderr, "%s: %zu of %zu values differ from the CPU\n", current.c_str(), differ, nout);
      CHECK(differ == 0);
    }
}

int main() {
  B = mien_cuda_emu_backend();
  for (uint64_t seed : {kSeeds[0], kSeeds[1], kSeeds[2]}) { /* three schedules: the whole table per seed */
    mien_emu::set_seed(seed);
    const int before = failures;
    const std::pair<const char *, void (*)()> checks[] = {
        {"binary", check_binary}, {"unary", check_unary},     {"where/fill/copy", check_where_fill_copy},
        {"reduce", check_reduce}, {"softmax", check_softmax}, {"random", check_random},
        {"pool", check_pool},     {"index", check_index},     {"optim", check_optim},
        {"batchnorm", check_batchnorm}, {"augment", check_augment}};
    for (const auto &c : checks) {
      const uint64_t launches = mien_emu::launches();
      c.second();
      if (seed == kSeeds[0]) printf("  %s: %llu launches\n", c.first, (unsigned long long)(mien_emu::launches() - launches));
      fflush(stdout);
    }
    printf("schedule seed %llu: %s\n", (unsigned long long)seed, failures == before ? "ok" : "FAILED");
  }
  return finish("cuda_emu_kernels");
}
