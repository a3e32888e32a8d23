"""SOPilot toolbox: video decoding, embedders, DTW, the scoring engine, storage, system load.

FFmpeg inside OpenCV prints decoder chatter ("moov atom not found") straight to stderr;
SOPilot reports bad files itself, in one clear line, so that chatter is silenced unless
the user set these variables.
"""
import os

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
