/* Our own GEMM, im2col convolution and image kernels on the CPU grid
 * emulator, at sizes the parity harness does not reach: GEMMs over several
 * 64x64 tiles and K steps with padded rows, transposes, a broadcast batch
 * and beta; convolutions whose images are split into several column chunks
 * (the last one partial); and resize / warp bit for bit the CPU's
 * (core/image/resize.c, warp.c). Several schedule seeds; ASan and UBSan. */
extern "C" {
#include "image/transform.h"
}

#include <cstring>
#include <string>

#include "emu/emu_backend.h"
#include "emu_test.h"

extern "C" size_t mien_cuda_conv_workspace_bytes;

static const mien_backend *B;
static std::string current;

template <class T>
static void check_gemm_typed(mien_dtype dt, double rtol) {
  const int64_t M = 70, N = 131, K = 37, batch = 2;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (double beta : {0.0, 0.5}) {
        current = "gemm " + std::to_string(ta) + std::to_string(tb) + " beta " + std::to_string(beta);
        const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 1, ldc = N + 2;
        const int64_t sa = (ta ? K : M) * lda, sb = 0, sc = M * ldc; /* B broadcast over the batch */
        std::vector<T> A = random_vector<T>((size_t)(sa * batch), -1, 1);
        std::vector<T> Bm = random_vector<T>((size_t)((tb ? N : K) * ldb), -1, 1);
        std::vector<T> C = random_vector<T>((size_t)(sc * batch), -1, 1), C0 = C;
        if (beta == 0)
          for (int64_t i = 0; i < M; i++) C[(size_t)(i * ldc)] = T(NAN); /* beta 0 never reads C */
        CHECK_OK(B->gemm_batched(dt, ta, tb, M, N, K, 0.75, A.data(), lda, sa, Bm.data(), ldb, sb, beta, C.data(), ldc,
                                 sc, batch));
        int bad = 0;
        for (int64_t z = 0; z < batch; z++)
          for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < ldc; j++) {
              const size_t at = (size_t)(z * sc + i * ldc + j);
              double want = C0[at];
              if (j < N) {
                double acc = 0;
                for (int64_t k = 0; k < K; k++)
                  acc += (double)(ta ? A[(size_t)(z * sa + k * lda + i)] : A[(size_t)(z * sa + i * lda + k)]) *
                         (double)(tb ? Bm[(size_t)(j * ldb + k)] : Bm[(size_t)(k * ldb + j)]);
                want = 0.75 * acc + beta * (double)C0[at];
              }
              if (!close((double)C[at], want, rtol, rtol) && bad++ < 5)
                fprintf(stderr, "%s: C[%lld][%lld][%lld] = %.9g, want %.9g\n", current.c_str(), (long long)z,
                        (long long)i, (long long)j, (double)C[at], want);
            }
        CHECK(bad == 0);
      }
}
static void check_gemm() {
  check_gemm_typed<float>(MIEN_FLOAT32, 1e-5);
  check_gemm_typed<double>(MIEN_FLOAT64, 1e-12);
}

/* The conv passes against direct double sums, with the column buffer small
 * enough that the 5 images take 3 chunks (2, 2, 1). */
static void check_conv() {
  const mien_conv2d_params shapes[] = {
      {5, 4, 7, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      {5, 4, 8, 6, 6, 3, 2, 2, 1, 0, 1, 1, 2, 2},
  };
  const size_t saved = mien_cuda_conv_workspace_bytes;
  for (const mien_conv2d_params &p : shapes) {
    int64_t OH, OW;
    CHECK(mien_conv2d_out_size(&p, &OH, &OW) == 0);
    const int64_t cig = p.C_in / p.groups, cog = p.C_out / p.groups;
    mien_cuda_conv_workspace_bytes = (size_t)(2 * p.C_in * p.KH * p.KW * OH * OW) * sizeof(double) + 8;
    const size_t nx = (size_t)(p.N * p.C_in * p.H * p.W), nw = (size_t)(p.C_out * cig * p.KH * p.KW);
    const size_t ny = (size_t)(p.N * p.C_out * OH * OW);
    std::vector<double> x = random_vector<double>(nx, -1, 1), w = random_vector<double>(nw, -1, 1);
    std::vector<double> dy = random_vector<double>(ny, -1, 1), bias = random_vector<double>((size_t)p.C_out, -1, 1);
    std::vector<double> y(ny), dx(nx), dw(nw, NAN), y_want(ny), dx_want(nx), dw_want(nw);
    for (size_t i = 0; i < ny; i++) y_want[i] = bias[i / (size_t)(OH * OW) % (size_t)p.C_out];
    for (int64_t n = 0; n < p.N; n++)
      for (int64_t co = 0; co < p.C_out; co++)
        for (int64_t oh = 0; oh < OH; oh++)
          for (int64_t ow = 0; ow < OW; ow++)
            for (int64_t ci = 0; ci < cig; ci++)
              for (int64_t kh = 0; kh < p.KH; kh++)
                for (int64_t kw = 0; kw < p.KW; kw++) {
                  const int64_t ih = oh * p.stride_h - p.pad_h + kh * p.dil_h, iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
                  if (ih < 0 || ih >= p.H || iw < 0 || iw >= p.W) continue;
                  const size_t xi = (size_t)(((n * p.C_in + co / cog * cig + ci) * p.H + ih) * p.W + iw);
                  const size_t wi = (size_t)(((co * cig + ci) * p.KH + kh) * p.KW + kw);
                  const size_t yi = (size_t)(((n * p.C_out + co) * OH + oh) * OW + ow);
                  y_want[yi] += x[xi] * w[wi];
                  dx_want[xi] += dy[yi] * w[wi];
                  dw_want[wi] += dy[yi] * x[xi];
                }
    current = "conv groups " + std::to_string(p.groups);
    CHECK_OK(B->conv2d_forward(&p, MIEN_FLOAT64, x.data(), w.data(), bias.data(), y.data()));
    CHECK_OK(B->conv2d_backward_input(&p, MIEN_FLOAT64, dy.data(), w.data(), dx.data()));
    CHECK_OK(B->conv2d_backward_weight(&p, MIEN_FLOAT64, x.data(), dy.data(), dw.data()));
    int bad = 0;
    for (size_t i = 0; i < ny; i++) bad += !close(y[i], y_want[i], 1e-12, 1e-12);
    for (size_t i = 0; i < nx; i++) bad += !close(dx[i], dx_want[i], 1e-12, 1e-12);
    for (size_t i = 0; i < nw; i++) bad += !close(dw[i], dw_want[i], 1e-12, 1e-12);
    if (bad) fprintf(stderr, "%s: %d values differ\n", current.c_str(), bad);
    CHECK(bad == 0);
  }
  mien_cuda_conv_workspace_bytes = saved;
}

/* resize and warp_affine: bit for bit the CPU's functions. */
static void check_image() {
  struct size { int sh, sw, c, dh, dw; };
  const size sizes[] = {{9, 13, 3, 6, 17}, {48, 48, 1, 17, 11}, {5, 7, 1, 23, 19}, {31, 17, 3, 31, 17}};
  for (const size &s : sizes)
    for (int mode : {MIEN_RESIZE_BILINEAR, MIEN_RESIZE_AREA}) {
      current = "resize " + std::to_string(s.sh) + "x" + std::to_string(s.sw) + " mode " + std::to_string(mode);
      const size_t ns = (size_t)(s.sh * s.sw * s.c), nd = (size_t)(s.dh * s.dw * s.c);
      std::vector<uint8_t> su(ns), du(nd), cu(nd);
      for (auto &v : su) v = (uint8_t)uniform(0, 255.99);
      std::vector<float> sf = random_vector<float>(ns, -2, 300), df(nd), cf(nd);
      CHECK(mien_resize_u8(su.data(), s.sh, s.sw, s.c, cu.data(), s.dh, s.dw, (mien_resize_mode)mode) == 0);
      CHECK(mien_resize_f32(sf.data(), s.sh, s.sw, s.c, cf.data(), s.dh, s.dw, (mien_resize_mode)mode) == 0);
      CHECK_OK(B->resize(MIEN_UINT8, su.data(), s.sh, s.sw, s.c, du.data(), s.dh, s.dw, (mien_resize_mode)mode));
      CHECK_OK(B->resize(MIEN_FLOAT32, sf.data(), s.sh, s.sw, s.c, df.data(), s.dh, s.dw, (mien_resize_mode)mode));
      CHECK(memcmp(du.data(), cu.data(), nd) == 0);
      CHECK(memcmp(df.data(), cf.data(), nd * sizeof(float)) == 0);
    }
  const double ms[][6] = {{0.8, 0.3, 1.0, -0.2, 1.1, -0.5}, {1.3, -0.4, -3.0, 0.5, 0.9, 2.5}, {1, 0, 0, 0, 1, 0}};
  for (const double *m : ms)
    for (int c : {1, 3})
      for (int zero = 0; zero < 2; zero++) {
        current = "warp c" + std::to_string(c) + " zero " + std::to_string(zero);
        const int sh = 23, sw = 19, dh = 21, dw = 25;
        std::vector<uint8_t> src((size_t)(sh * sw * c)), cpu((size_t)(dh * dw * c)), emu((size_t)(dh * dw * c));
        for (auto &v : src) v = (uint8_t)uniform(0, 255.99);
        CHECK(mien_warp_affine_u8(src.data(), sh, sw, c, m, cpu.data(), dh, dw, zero) == 0);
        CHECK_OK(B->warp_affine(src.data(), sh, sw, c, m, emu.data(), dh, dw, zero));
        CHECK(cpu == emu);
      }
  current = "image errors";
  uint8_t px[4] = {0};
  CHECK(B->resize(MIEN_INT64, px, 1, 1, 1, px, 1, 1, MIEN_RESIZE_BILINEAR) != 0);
  CHECK(strstr(mien_k_error(), "uint8 or float32") != nullptr);
  const double bad[6] = {1, 0, NAN, 0, 1, 0};
  CHECK(B->warp_affine(px, 1, 1, 1, bad, px, 1, 1, 0) != 0);
  CHECK(strstr(mien_k_error(), "#2 is not finite") != nullptr);
}

int main() {
  B = mien_cuda_emu_backend();
  for (uint64_t seed : {kSeeds[0], kSeeds[1], kSeeds[2]}) {
    mien_emu::set_seed(seed);
    const int before = failures;
    check_gemm();
    check_conv();
    check_image();
    printf("schedule seed %llu: %s\n", (unsigned long long)seed, failures == before ? "ok" : "FAILED");
  }
  return finish("cuda_emu_gemm_image");
}
