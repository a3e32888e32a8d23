"""Video reading: probe, stream clips of sampled frames, quality flags, privacy mask."""
from .privacy import PrivacyMask
from .probe import UNKNOWN, check_video_file, probe, quiet_opencv_logs
from .quality import QualityThresholds, assess_frames
from .reader import expected_clip_count, iter_clips
from .sampler import SampledFrame, iter_sampled_frames
from .types import QUALITY_FLAGS, VIDEO_EXTENSIONS, Clip, SamplingConfig, VideoInfo

__all__ = [
    "Clip", "PrivacyMask", "QUALITY_FLAGS", "QualityThresholds", "SampledFrame", "SamplingConfig",
    "UNKNOWN", "VIDEO_EXTENSIONS", "VideoInfo", "assess_frames", "check_video_file",
    "expected_clip_count", "iter_clips", "iter_sampled_frames", "probe", "quiet_opencv_logs",
]
