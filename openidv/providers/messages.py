"""Message texts from templates per language (`templates/<channel>.<lang>.txt`; e-mail: subject, `---`, body)."""

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from openidv.providers.base import Message

LANGUAGES = ("en", "es")


@cache
def _env() -> Environment:
    # Plain-text templates; autoescape stays on for any HTML template added later.
    return Environment(
        loader=PackageLoader("openidv.providers", "templates"), autoescape=lambda name: bool(name and name.endswith(".html")), undefined=StrictUndefined
    )


def language(locale: str | None) -> str:
    lang = (locale or "en").replace("_", "-").split("-")[0].lower()
    return lang if lang in LANGUAGES else "en"


def confirmation(channel: str, to: str, code: str, minutes: int, locale: str | None, *, sandbox: bool, product: str = "openidv") -> Message:
    text = _env().get_template(f"{channel}.{language(locale)}.txt").render(code=code, minutes=minutes, product=product)
    if channel == "email":
        subject, _, body = text.partition("\n---\n")
        return Message(channel, to, subject.strip(), body.strip() + "\n", sandbox)
    return Message(channel, to, "", text.strip(), sandbox)
