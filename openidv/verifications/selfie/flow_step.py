"""The hosted flow's selfie step: which poses a step asks for (`kind` setting: `profile-and-center`,
the default, or `center-only`) and the captured frames, each pose a frame or a short burst
(`center`, `center-1`, `center-2`, ... as the camera script names them)."""

from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.models import Inquiry
from openidv.verifications import uploads
from openidv.verifications.kinds import Captured

POSES = ("center", "left", "right")
BURST = 3  # frames per pose at most: with three poses within the form's ten files


def poses(step: Step) -> tuple[str, ...]:
    return ("center",) if step.settings.get("kind") == "center-only" else POSES


def capture(_inquiry: Inquiry, step: Step, _config: TemplateConfig, _form: dict[str, str], files: dict[str, bytes]) -> Captured:
    """Every frame checked (nothing is kept when one is refused); the attributes `create` takes: each
    pose's frames in order, the first the one its photo URL serves."""
    wanted = poses(step)
    if any(not files.get(pose) for pose in wanted):
        raise uploads.InputProblem("center", "selfie.missing")
    return Captured({f"{pose}-photo": [uploads.check(pose, files[role]).content
                                       for role in [pose] + [f"{pose}-{i}" for i in range(1, BURST)] if files.get(role)]
                     for pose in wanted})
