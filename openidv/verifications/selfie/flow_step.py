"""The hosted flow's selfie step: which poses a step asks for (`kind` setting: `profile-and-center`,
the default, or `center-only`) and the captured frames, each pose a frame or a short burst
(`center`, `center-1`, `center-2`, ... as the camera script names them)."""

from collections.abc import Callable

from openidv.inquiry_templates.config import Step, TemplateConfig
from openidv.models import Inquiry
from openidv.verifications import uploads
from openidv.verifications.kinds import Captured, Store

POSES = ("center", "left", "right")
BURST = 3  # frames per pose at most: with three poses within the form's ten files


def poses(step: Step) -> tuple[str, ...]:
    return ("center",) if step.settings.get("kind") == "center-only" else POSES


def frames(step: Step, files: dict[str, bytes], store: Callable[[str, uploads.Checked], str]) -> dict[str, str]:
    """Checks every frame, then stores them (nothing is stored when one is refused); role -> upload id."""
    wanted = poses(step)
    if any(not files.get(pose) for pose in wanted):
        raise uploads.InputProblem("center", "selfie.missing")
    roles = [pose for pose in wanted] + [f"{pose}-{i}" for pose in wanted for i in range(1, BURST) if files.get(f"{pose}-{i}")]
    checked = {role: uploads.check(role.partition("-")[0], files[role]) for role in roles}
    return {role: store(role, c) for role, c in checked.items()}


def capture(_inquiry: Inquiry, step: Step, _config: TemplateConfig, _form: dict[str, str], files: dict[str, bytes], store: Store) -> Captured:
    return Captured(upload_ids=frames(step, files, store))
