/* Video files through libavformat/libavcodec/libswscale: a reader that
 * yields RGB24 frames with their timestamps, and a writer that encodes RGB24
 * frames. Built only when libav is found (cmake/video.cmake); nothing else
 * in the core depends on it.
 *
 * Errors follow the core's convention: -1 or NULL with a message (naming the
 * file and, while reading or writing, the 0-based frame) in mien_last_error. */
#ifndef MIEN_VIDEO_H
#define MIEN_VIDEO_H

#include <stdint.h>

typedef struct mien_video_reader mien_video_reader;

typedef struct mien_video_info {
  int width, height;
  double fps;       /* the stream's average frame rate; 0 if unknown */
  double duration;  /* seconds; 0 if unknown */
  int64_t frames;   /* frame count the container declares; 0 if unknown */
  const char *codec; /* decoder name */
} mien_video_info;

/* Opens the first video stream of any file libavformat reads. */
mien_video_reader *mien_video_open(const char *path);
void mien_video_get_info(const mien_video_reader *r, mien_video_info *info);
/* Decodes the next frame into rgb (height*width*3 bytes, row-major RGB) and
 * its presentation time in seconds. Returns 1 for a frame, 0 at the end,
 * -1 on error: a damaged or truncated file (fewer frames than the container
 * declares, or a stream that stops before its declared duration) is an error. */
int mien_video_read(mien_video_reader *r, uint8_t *rgb, double *time);
/* Frames returned so far. */
int64_t mien_video_position(const mien_video_reader *r);
void mien_video_close(mien_video_reader *r);

typedef struct mien_video_writer mien_video_writer;

/* Starts path (the container from its extension: .mp4, .avi, .mkv, ...),
 * width x height (even) at fps frames per second. codec: an encoder name
 * ("mpeg4", "libx264", ...) or NULL for mpeg4. quality: 1 (best) .. 31 for
 * mpeg4's quantiser, the CRF for libx264; 0 for the default. Frames go to
 * a temporary file next to path, renamed over it by mien_video_writer_close. */
mien_video_writer *mien_video_writer_open(const char *path, int width, int height, double fps, const char *codec,
                                          int quality);
/* Encodes one RGB24 frame (height*width*3 bytes). */
int mien_video_write(mien_video_writer *w, const uint8_t *rgb);
int64_t mien_video_writer_count(const mien_video_writer *w);
/* Flushes the encoder, finishes the container and puts the file in place;
 * always releases w. -1 on error (then path is untouched). */
int mien_video_writer_close(mien_video_writer *w);
/* Drops the partial file and releases w (NULL is fine); path is untouched. */
void mien_video_writer_abort(mien_video_writer *w);

#endif
