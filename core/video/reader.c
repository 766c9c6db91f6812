/* Decoding: demux packets of the chosen video stream, decode them, convert
 * each frame to RGB24 with libswscale. */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "video.h"

struct mien_video_reader {
  char *path;
  AVFormatContext *fmt;
  AVCodecContext *dec;
  struct SwsContext *sws;
  AVPacket *pkt;
  AVFrame *frame;
  int stream;
  int width, height;
  int draining, finished;
  int64_t count;     /* frames returned */
  double last_time;  /* of the last frame returned */
};

static const char *av_message(int err, char *buf, size_t n) {
  av_strerror(err, buf, n);
  return buf;
}

static void fail(const mien_video_reader *r, const char *what, int err) {
  char buf[128];
  if (err) mien_set_error("video: '%s' frame %lld: %s: %s", r->path, (long long)r->count, what, av_message(err, buf, sizeof buf));
  else mien_set_error("video: '%s' frame %lld: %s", r->path, (long long)r->count, what);
}

void mien_video_close(mien_video_reader *r) {
  if (!r) return;
  sws_freeContext(r->sws);
  av_frame_free(&r->frame);
  av_packet_free(&r->pkt);
  avcodec_free_context(&r->dec);
  avformat_close_input(&r->fmt);
  free(r->path);
  free(r);
}

mien_video_reader *mien_video_open(const char *path) {
  char buf[128];
  mien_video_reader *r = calloc(1, sizeof *r);
  if (!r || !(r->path = strdup(path))) {
    free(r);
    mien_set_error("video: out of memory opening '%s'", path);
    return NULL;
  }
  av_log_set_level(AV_LOG_QUIET); /* libav's own messages would go to stderr; errors come back here */
  int err = avformat_open_input(&r->fmt, path, NULL, NULL);
  if (err < 0) {
    mien_set_error("video: cannot open '%s': %s%s", path, av_message(err, buf, sizeof buf),
                   err == AVERROR_EOF || err == AVERROR_INVALIDDATA ? " (not a video file, or a truncated one)" : "");
    goto fail;
  }
  if ((err = avformat_find_stream_info(r->fmt, NULL)) < 0) {
    mien_set_error("video: '%s': cannot read the stream information: %s", path, av_message(err, buf, sizeof buf));
    goto fail;
  }
  const AVCodec *codec = NULL;
  r->stream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (r->stream < 0 || !codec) {
    mien_set_error("video: '%s' has no video stream that can be decoded", path);
    goto fail;
  }
  AVStream *st = r->fmt->streams[r->stream];
  r->dec = avcodec_alloc_context3(codec);
  if (!r->dec || avcodec_parameters_to_context(r->dec, st->codecpar) < 0) {
    mien_set_error("video: '%s': cannot set up the %s decoder", path, codec->name);
    goto fail;
  }
  r->dec->err_recognition |= AV_EF_EXPLODE; /* damaged data is an error, not a concealed frame */
  if ((err = avcodec_open2(r->dec, codec, NULL)) < 0) {
    mien_set_error("video: '%s': cannot open the %s decoder: %s", path, codec->name, av_message(err, buf, sizeof buf));
    goto fail;
  }
  r->width = r->dec->width;
  r->height = r->dec->height;
  if (r->width <= 0 || r->height <= 0 || (int64_t)r->width * r->height > (INT64_C(1) << 28)) {
    mien_set_error("video: '%s': unusable frame size %dx%d", path, r->width, r->height);
    goto fail;
  }
  r->pkt = av_packet_alloc();
  r->frame = av_frame_alloc();
  if (!r->pkt || !r->frame) {
    mien_set_error("video: out of memory opening '%s'", path);
    goto fail;
  }
  r->last_time = -1.0;
  return r;
fail:
  mien_video_close(r);
  return NULL;
}

void mien_video_get_info(const mien_video_reader *r, mien_video_info *info) {
  AVStream *st = r->fmt->streams[r->stream];
  info->width = r->width;
  info->height = r->height;
  info->fps = st->avg_frame_rate.den > 0 ? av_q2d(st->avg_frame_rate) : 0.0;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) info->duration = (double)st->duration * av_q2d(st->time_base);
  else if (r->fmt->duration != AV_NOPTS_VALUE && r->fmt->duration > 0) info->duration = (double)r->fmt->duration / AV_TIME_BASE;
  else info->duration = 0.0;
  info->frames = st->nb_frames > 0 ? st->nb_frames : 0;
  info->codec = r->dec->codec->name;
}

int64_t mien_video_position(const mien_video_reader *r) { return r->count; }

/* At the end of the stream: fewer frames than declared, or a last frame
 * well before the declared duration, means the file was cut short. */
static int check_complete(mien_video_reader *r) {
  mien_video_info info;
  mien_video_get_info(r, &info);
  if (info.frames > 0 && r->count < info.frames) {
    mien_set_error("video: '%s' is truncated: frame %lld is missing (the container declares %lld frames)", r->path,
                   (long long)r->count, (long long)info.frames);
    return -1;
  }
  double step = info.fps > 0 ? 1.0 / info.fps : 0.0;
  if (info.frames == 0 && info.duration > 0 && step > 0 && r->last_time + 2.5 * step < info.duration) {
    mien_set_error("video: '%s' is truncated: frame %lld is missing (the stream stops at %.3f s of %.3f s)", r->path,
                   (long long)r->count, r->last_time < 0 ? 0.0 : r->last_time, info.duration);
    return -1;
  }
  return 0;
}

/* Reads packets until the decoder has a frame: 1 frame, 0 end, -1 error. */
static int next_frame(mien_video_reader *r) {
  for (;;) {
    int err = avcodec_receive_frame(r->dec, r->frame);
    if (err == 0) return 1;
    if (err == AVERROR_EOF) return 0;
    if (err != AVERROR(EAGAIN)) {
      fail(r, "cannot decode", err);
      return -1;
    }
    if (r->draining) return 0;
    err = av_read_frame(r->fmt, r->pkt);
    if (err == AVERROR_EOF) {
      r->draining = 1;
      err = avcodec_send_packet(r->dec, NULL);
      if (err < 0 && err != AVERROR_EOF) {
        fail(r, "cannot flush the decoder", err);
        return -1;
      }
      continue;
    }
    if (err < 0) {
      fail(r, "cannot read", err);
      return -1;
    }
    if (r->pkt->stream_index != r->stream) {
      av_packet_unref(r->pkt);
      continue;
    }
    if (r->pkt->flags & AV_PKT_FLAG_CORRUPT) {
      av_packet_unref(r->pkt);
      fail(r, "the data is damaged or truncated", 0);
      return -1;
    }
    err = avcodec_send_packet(r->dec, r->pkt);
    av_packet_unref(r->pkt);
    if (err < 0 && err != AVERROR(EAGAIN)) {
      fail(r, "cannot decode", err);
      return -1;
    }
  }
}

int mien_video_read(mien_video_reader *r, uint8_t *rgb, double *time) {
  if (r->finished) return 0;
  int got = next_frame(r);
  if (got <= 0) {
    r->finished = 1;
    return got < 0 ? -1 : check_complete(r);
  }
  AVFrame *f = r->frame;
  int rc = -1;
  if (f->decode_error_flags || (f->flags & AV_FRAME_FLAG_CORRUPT)) {
    fail(r, "the data is damaged or truncated", 0);
    goto done;
  }
  if (f->width != r->width || f->height != r->height) {
    mien_set_error("video: '%s' frame %lld: the size changes from %dx%d to %dx%d", r->path, (long long)r->count,
                   r->width, r->height, f->width, f->height);
    goto done;
  }
  r->sws = sws_getCachedContext(r->sws, f->width, f->height, (enum AVPixelFormat)f->format, r->width, r->height,
                                AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
  if (!r->sws) {
    fail(r, "cannot convert the pixel format to RGB", 0);
    goto done;
  }
  uint8_t *dst[4] = {rgb, NULL, NULL, NULL};
  int stride[4] = {3 * r->width, 0, 0, 0};
  sws_scale(r->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, stride);
  AVStream *st = r->fmt->streams[r->stream];
  int64_t ts = f->best_effort_timestamp;
  double fps = st->avg_frame_rate.den > 0 ? av_q2d(st->avg_frame_rate) : 0.0;
  if (ts != AV_NOPTS_VALUE) {
    double start = st->start_time != AV_NOPTS_VALUE ? (double)st->start_time * av_q2d(st->time_base) : 0.0;
    *time = (double)ts * av_q2d(st->time_base) - start;
  } else {
    *time = fps > 0 ? (double)r->count / fps : (double)r->count;
  }
  r->last_time = *time;
  r->count++;
  rc = 1;
done:
  av_frame_unref(f);
  if (rc < 0) r->finished = 1;
  return rc;
}
