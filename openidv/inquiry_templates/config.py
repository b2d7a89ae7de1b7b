"""What a template version collects and runs: the schema of `InquiryTemplateVersion.config`."""

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from openidv.kit.ids import new_id

VerificationKind = Literal["government-id", "selfie", "database", "phone-number", "email-address", "document"]
VERIFICATION_KINDS: tuple[str, ...] = get_args(VerificationKind)
FIELD_TYPES = ("string", "boolean", "choices", "multi-choices", "date", "datetime", "number", "integer", "array", "hash", "json", "file", "email-address")
ID_CLASSES = (
    "dl", "id", "pp", "ppc", "rp", "pr", "visa", "wp", "vid", "cct", "cid", "foid", "hic", "ipp", "keyp", "ltpass",
    "munid", "myn", "nbi", "nric", "ofw", "pan", "pid", "sss", "td", "tribalid", "umid",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Step(Strict):
    """One verification step; `id` is the verification template id (`vtmpl_`) it answers to."""

    id: str = Field(default_factory=lambda: new_id("vtmpl"))
    kind: VerificationKind
    required: bool = True  # a failed optional step does not fail the inquiry
    required_checks: list[str] | None = None  # None: the kind's own defaults
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    settings: dict[str, Any] = Field(default_factory=dict)  # kind-specific (e.g. document recency days)

    @property
    def step_name(self) -> str:
        return "verification_" + self.kind.replace("-", "_")


class FieldSpec(Strict):
    key: str = Field(min_length=1, max_length=100)
    type: str = "string"
    label: str | None = None
    required: bool = False
    choices: list[str] | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in FIELD_TYPES:
            raise ValueError(f"unknown field type {value!r}")
        return value


class TemplateConfig(Strict):
    steps: list[Step] = Field(default_factory=list)
    allowed_countries: list[str] = Field(default_factory=list)  # ISO alpha-2; empty: all
    allowed_id_classes: list[str] = Field(default_factory=list)  # empty: all
    max_attempts: int = Field(default=5, ge=1, le=100)
    expire_after_create_seconds: int = Field(default=86400, gt=0)
    expire_after_start_seconds: int | None = Field(default=None, gt=0)  # None: the creation value
    expire_after_resume_seconds: int = Field(default=86400, gt=0)
    redirect_uri: str | None = None
    min_age: int | None = Field(default=None, ge=0, le=150)
    max_age: int | None = Field(default=None, ge=0, le=150)
    field_schema: list[FieldSpec] = Field(default_factory=list)
    reports: list[dict[str, Any]] = Field(default_factory=list)  # reports ordered on completion

    @field_validator("allowed_countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        for code in value:
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"country {code!r} is not an ISO 3166-1 alpha-2 code")
        return [c.upper() for c in value]

    @field_validator("allowed_id_classes")
    @classmethod
    def _id_classes(cls, value: list[str]) -> list[str]:
        unknown = [v for v in value if v not in ID_CLASSES]
        if unknown:
            raise ValueError(f"unknown id classes: {', '.join(unknown)}")
        return value

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def step_of_kind(self, kind: str) -> Step | None:
        return next((s for s in self.steps if s.kind == kind), None)

    def attempts_for(self, step: Step) -> int:
        return step.max_attempts or self.max_attempts

    def field_spec(self, key: str) -> FieldSpec | None:
        return next((f for f in self.field_schema if f.key == key), None)


STANDARD_FIELDS = [
    FieldSpec(key="name-first", label="First name"),
    FieldSpec(key="name-middle", label="Middle name"),
    FieldSpec(key="name-last", label="Last name"),
    FieldSpec(key="birthdate", type="date", label="Date of birth"),
    FieldSpec(key="address-street-1", label="Street address"),
    FieldSpec(key="address-street-2", label="Apartment, suite"),
    FieldSpec(key="address-city", label="City"),
    FieldSpec(key="address-subdivision", label="State or region"),
    FieldSpec(key="address-postal-code", label="Postal code"),
    FieldSpec(key="address-country-code", label="Country"),
    FieldSpec(key="email-address", type="string", label="E-mail address"),
    FieldSpec(key="phone-number", label="Phone number"),
    FieldSpec(key="identification-number", label="Identification number"),
]


def starter_templates() -> list[tuple[str, TemplateConfig]]:
    """What `openidv setup` installs in each environment."""

    def config(*kinds: VerificationKind, required_fields: tuple[str, ...] = ()) -> TemplateConfig:
        fields = [f.model_copy(update={"required": f.key in required_fields}) for f in STANDARD_FIELDS]
        return TemplateConfig(steps=[Step(kind=k) for k in kinds], field_schema=fields)

    return [
        ("Government ID and Selfie", config("government-id", "selfie")),
        ("Government ID", config("government-id")),
        ("Database", config("database", required_fields=("name-first", "name-last", "birthdate"))),
        ("Phone", config("phone-number")),
        ("Email", config("email-address")),
        ("Document", config("document")),
    ]
