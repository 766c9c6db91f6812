# Video (mien.video, mien watch): built only when libav is found
# (cmake/video.cmake, scripts/deps/video.txt). Its C test runs with ctest and
# valgrind and its specs with busted; this says when they could not.
echo "== video (libav)"
if [ -x build/test_video ]; then
  test_pass "video built with libav"; echo "ok video built with libav"
else
  test_skip "video" "built without libav (install scripts/deps/video.txt); mien.video and mien watch raise an error"
fi
