/* Encoding: RGB24 frames -> YUV 4:2:0 (libswscale) -> encoder -> muxer,
 * into a temporary file renamed over the target when the writer closes. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "video.h"

struct mien_video_writer {
  char *path, *tmp;
  AVFormatContext *fmt;
  AVCodecContext *enc;
  AVStream *st;
  struct SwsContext *sws;
  AVFrame *frame;
  AVPacket *pkt;
  int width, height;
  int64_t count;
};

static void fail(const mien_video_writer *w, const char *what, int err) {
  char buf[128];
  av_strerror(err, buf, sizeof buf);
  mien_set_error("video.writer: '%s' frame %lld: %s: %s", w->path, (long long)w->count, what, buf);
}

static void release(mien_video_writer *w) {
  if (w->fmt && w->fmt->pb) avio_closep(&w->fmt->pb);
  avformat_free_context(w->fmt);
  avcodec_free_context(&w->enc);
  sws_freeContext(w->sws);
  av_frame_free(&w->frame);
  av_packet_free(&w->pkt);
  free(w->path);
  free(w->tmp);
  free(w);
}

void mien_video_writer_abort(mien_video_writer *w) {
  if (!w) return;
  if (w->fmt && w->fmt->pb) avio_closep(&w->fmt->pb);
  if (w->tmp) unlink(w->tmp);
  release(w);
}

static int set_up_encoder(mien_video_writer *w, const AVCodec *codec, double fps, int quality) {
  AVCodecContext *c = w->enc;
  c->width = w->width;
  c->height = w->height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->time_base = av_d2q(1.0 / fps, 1 << 20);
  c->framerate = av_d2q(fps, 1 << 20);
  c->gop_size = 12;
  c->thread_count = 1; /* the machines are shared; encoding is not the bottleneck */
  if (codec->id == AV_CODEC_ID_MPEG4 || codec->id == AV_CODEC_ID_MJPEG) {
    c->flags |= AV_CODEC_FLAG_QSCALE;
    c->global_quality = FF_QP2LAMBDA * (quality > 0 ? quality : 3);
  } else if (strcmp(codec->name, "libx264") == 0) {
    av_opt_set(c->priv_data, "preset", "veryfast", 0);
    av_opt_set_double(c->priv_data, "crf", quality > 0 ? quality : 20, 0);
  }
  if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  int err = avcodec_open2(c, codec, NULL);
  if (err < 0) {
    fail(w, "cannot open the encoder", err);
    return -1;
  }
  w->st->time_base = c->time_base;
  w->st->avg_frame_rate = c->framerate;
  if ((err = avcodec_parameters_from_context(w->st->codecpar, c)) < 0) {
    fail(w, "cannot set up the stream", err);
    return -1;
  }
  return 0;
}

mien_video_writer *mien_video_writer_open(const char *path, int width, int height, double fps, const char *codec_name,
                                          int quality) {
  if (width <= 0 || height <= 0 || width % 2 || height % 2 || (int64_t)width * height > (INT64_C(1) << 28)) {
    mien_set_error("video.writer: '%s': frames must have an even width and height, got %dx%d", path, width, height);
    return NULL;
  }
  if (!(fps > 0 && fps <= 1000)) {
    mien_set_error("video.writer: '%s': fps must be in (0, 1000], got %g", path, fps);
    return NULL;
  }
  if (quality < 0 || quality > 51) {
    mien_set_error("video.writer: '%s': quality must be 0 (default) to 51, got %d", path, quality);
    return NULL;
  }
  av_log_set_level(AV_LOG_QUIET);
  mien_video_writer *w = calloc(1, sizeof *w);
  size_t n = strlen(path) + 32;
  if (!w || !(w->path = strdup(path)) || !(w->tmp = malloc(n))) {
    if (w) release(w);
    mien_set_error("video.writer: out of memory for '%s'", path);
    return NULL;
  }
  snprintf(w->tmp, n, "%s.tmp.%ld", path, (long)getpid());
  w->width = width;
  w->height = height;
  const AVOutputFormat *of = av_guess_format(NULL, path, NULL);
  if (!of) {
    mien_set_error("video.writer: '%s': unknown container for this extension (use .mp4, .avi or .mkv)", path);
    release(w);
    return NULL;
  }
  const AVCodec *codec = codec_name ? avcodec_find_encoder_by_name(codec_name) : avcodec_find_encoder(AV_CODEC_ID_MPEG4);
  if (!codec || codec->type != AVMEDIA_TYPE_VIDEO) {
    mien_set_error("video.writer: '%s': no video encoder '%s' in this libavcodec (mpeg4 always is)", path,
                   codec_name ? codec_name : "mpeg4");
    release(w);
    return NULL;
  }
  int err = avformat_alloc_output_context2(&w->fmt, of, NULL, w->tmp);
  if (err < 0 || !(w->st = avformat_new_stream(w->fmt, NULL)) || !(w->enc = avcodec_alloc_context3(codec)) ||
      !(w->frame = av_frame_alloc()) || !(w->pkt = av_packet_alloc())) {
    mien_set_error("video.writer: '%s': cannot set up the %s muxer", path, of->name);
    release(w);
    return NULL;
  }
  if (set_up_encoder(w, codec, fps, quality) != 0) {
    release(w);
    return NULL;
  }
  w->frame->format = AV_PIX_FMT_YUV420P;
  w->frame->width = width;
  w->frame->height = height;
  if ((err = av_frame_get_buffer(w->frame, 0)) < 0) {
    fail(w, "cannot allocate a frame", err);
    release(w);
    return NULL;
  }
  w->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL,
                          NULL);
  if (!w->sws) {
    mien_set_error("video.writer: '%s': cannot set up the RGB -> YUV conversion", path);
    release(w);
    return NULL;
  }
  if ((err = avio_open(&w->fmt->pb, w->tmp, AVIO_FLAG_WRITE)) < 0) {
    char buf[128];
    av_strerror(err, buf, sizeof buf);
    mien_set_error("video.writer: cannot create '%s': %s", w->tmp, buf);
    release(w);
    return NULL;
  }
  if ((err = avformat_write_header(w->fmt, NULL)) < 0) {
    fail(w, "cannot write the header", err);
    mien_video_writer_abort(w);
    return NULL;
  }
  return w;
}

/* Sends frame (NULL to flush) and writes every packet the encoder returns. */
static int encode(mien_video_writer *w, AVFrame *frame) {
  int err = avcodec_send_frame(w->enc, frame);
  if (err < 0) {
    fail(w, "cannot encode", err);
    return -1;
  }
  for (;;) {
    err = avcodec_receive_packet(w->enc, w->pkt);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return 0;
    if (err < 0) {
      fail(w, "cannot encode", err);
      return -1;
    }
    av_packet_rescale_ts(w->pkt, w->enc->time_base, w->st->time_base);
    w->pkt->stream_index = w->st->index;
    err = av_interleaved_write_frame(w->fmt, w->pkt);
    if (err < 0) {
      fail(w, "cannot write", err);
      return -1;
    }
  }
}

int mien_video_write(mien_video_writer *w, const uint8_t *rgb) {
  int err = av_frame_make_writable(w->frame);
  if (err < 0) {
    fail(w, "cannot allocate a frame", err);
    return -1;
  }
  const uint8_t *src[4] = {rgb, NULL, NULL, NULL};
  int stride[4] = {3 * w->width, 0, 0, 0};
  sws_scale(w->sws, src, stride, 0, w->height, w->frame->data, w->frame->linesize);
  w->frame->pts = w->count;
  if (encode(w, w->frame) != 0) return -1;
  w->count++;
  return 0;
}

int64_t mien_video_writer_count(const mien_video_writer *w) { return w->count; }

int mien_video_writer_close(mien_video_writer *w) {
  if (encode(w, NULL) != 0) goto fail;
  int err = av_write_trailer(w->fmt);
  if (err < 0) {
    fail(w, "cannot finish the file", err);
    goto fail;
  }
  if ((err = avio_closep(&w->fmt->pb)) < 0) {
    fail(w, "cannot close the file", err);
    goto fail;
  }
  if (rename(w->tmp, w->path) != 0) {
    mien_set_error("video.writer: cannot rename '%s' to '%s'", w->tmp, w->path);
    goto fail;
  }
  release(w);
  return 0;
fail:
  mien_video_writer_abort(w);
  return -1;
}
