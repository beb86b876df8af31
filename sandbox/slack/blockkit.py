"""Block Kit validation, enforced the way Slack enforces it.

``validate_blocks(blocks)`` is a pure function returning Slack's own error strings (the
``errors`` list of an ``invalid_blocks`` answer), so a test can run it over any payload the
bot builds, messages and home tabs alike. An empty list means Slack would accept the blocks.

Limits (Slack's Block Kit reference, docs.slack.dev/reference/block-kit, read 2026):

- 50 blocks per message; 100 per home tab or modal;
- section ``text`` 1–3000 characters; ``fields`` ≤ 10 items of ≤ 2000 characters each;
- header ``text``: ``plain_text`` only, ≤ 150 characters;
- context ``elements``: 1–10 image elements or text objects;
- actions ``elements``: 1–25 interactive elements, ``action_id`` unique within the block;
- button ``text`` (``plain_text``) ≤ 75, ``action_id`` ≤ 255, ``value`` ≤ 2000, ``url`` ≤ 3000;
- ``block_id`` ≤ 255 characters and unique within the message;
- markdown block ``text`` ≤ 12,000; image ``alt_text``/``title`` ≤ 2000, ``image_url`` ≤ 3000.

Error wording follows what Slack answers. Verified against real answers quoted in public
issues: ``must be less than 3001 characters [json-pointer:/blocks/0/text/text]`` preceded by
``failed to match all allowed schemas [json-pointer:/blocks/0/text]`` for a text object that
may be ``plain_text`` or ``mrkdwn``; ``unsupported type: X [json-pointer:/blocks/0/type]``;
``must define either `text` or `fields` [json-pointer:/blocks/0/type]``; ``no more than 50
items allowed [json-pointer:/blocks]``. Other messages are written in the same style.

Beyond the per-block limits Slack caps a message's blocks as a whole: past roughly 12,000
characters of text it answers ``msg_blocks_too_long`` (undocumented number; people measured
13,172–13,297 accepted for plain markdown blocks, bolt-js#2509). ``blocks_text_length`` is the
sum the stand-in compares with ``MESSAGE_BLOCKS_TEXT_MAX``, deliberately on the safe side.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from typing import Any, Literal

Surface = Literal["message", "home", "modal"]

MAX_BLOCKS: dict[Surface, int] = {"message": 50, "home": 100, "modal": 100}
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
CONTEXT_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACCESSIBILITY_LABEL_MAX = 75
ACTION_ID_MAX = 255
URL_MAX = 3000
BLOCK_ID_MAX = 255
MARKDOWN_BLOCK_TEXT_MAX = 12_000
IMAGE_ALT_TEXT_MAX = 2000
IMAGE_TITLE_MAX = 2000
#: Top-level ``text``: longer text is truncated (with a ``message_truncated`` warning).
MESSAGE_TEXT_MAX = 40_000
#: All the text in one message's blocks together; past it Slack says ``msg_blocks_too_long``.
MESSAGE_BLOCKS_TEXT_MAX = 12_000

TEXT_TYPES = ("plain_text", "mrkdwn")

#: Interactive elements an actions block (and a section accessory) may hold.
INTERACTIVE_ELEMENTS = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "overflow",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "timepicker",
        "workflow_button",
    }
)
ACCESSORY_ELEMENTS = INTERACTIVE_ELEMENTS | {"image"}

# Which block types each surface takes. ``input`` is refused in messages (python-slack-sdk#1257);
# ``markdown`` and ``file`` exist only in messages.
_SURFACE_BLOCKS: dict[Surface, frozenset[str]] = {
    "message": frozenset(
        {
            "section",
            "divider",
            "header",
            "context",
            "actions",
            "image",
            "markdown",
            "rich_text",
            "file",
            "video",
            "table",
            "context_actions",
        }
    ),
    "home": frozenset(
        {
            "section",
            "divider",
            "header",
            "context",
            "actions",
            "image",
            "rich_text",
            "video",
            "input",
        }
    ),
    "modal": frozenset(
        {
            "section",
            "divider",
            "header",
            "context",
            "actions",
            "image",
            "rich_text",
            "video",
            "input",
        }
    ),
}

# Properties each block may carry; anything else is refused like Slack's schema does.
_BLOCK_KEYS: dict[str, frozenset[str]] = {
    "section": frozenset({"type", "block_id", "text", "fields", "accessory", "expand"}),
    "divider": frozenset({"type", "block_id"}),
    "header": frozenset({"type", "block_id", "text"}),
    "context": frozenset({"type", "block_id", "elements"}),
    "actions": frozenset({"type", "block_id", "elements"}),
    "image": frozenset({"type", "block_id", "image_url", "slack_file", "alt_text", "title"}),
    "markdown": frozenset({"type", "block_id", "text"}),
}
_BUTTON_KEYS = frozenset(
    {"type", "text", "action_id", "url", "value", "style", "confirm", "accessibility_label"}
)
_IMAGE_ELEMENT_KEYS = frozenset({"type", "image_url", "slack_file", "alt_text"})
_TEXT_KEYS = frozenset({"type", "text", "emoji", "verbatim"})


def validate_blocks(
    blocks: Any, *, surface: Surface = "message", pointer: str = "/blocks"
) -> list[str]:
    """Slack's complaints about ``blocks`` on ``surface``, in document order; [] when valid.

    ``pointer`` is where the array sits in the request (``/view/blocks`` for views), so the
    ``[json-pointer:…]`` suffixes match what Slack would say.
    """
    return _Validator(surface).blocks(blocks, pointer)


def blocks_text_length(blocks: Any) -> int:
    """Characters of text in ``blocks``: what counts toward ``MESSAGE_BLOCKS_TEXT_MAX``.

    Every text object (section text and fields, headers, context, button labels), markdown
    block text and rich-text run counts; URLs, values and IDs do not.
    """
    total = 0
    for node in _walk(blocks):
        kind = node.get("type")
        text = node.get("text")
        if isinstance(text, str) and kind in (*TEXT_TYPES, "markdown", "text"):
            total += len(text)
    return total


def with_block_ids(blocks: list[Any]) -> list[Any]:
    """Copies of ``blocks`` with a ``block_id`` on each, as Slack stores them.

    Slack generates a short random id for every block sent without one.
    """
    out: list[Any] = []
    for block in blocks:
        if isinstance(block, dict) and "block_id" not in block:
            block = {**block, "block_id": _random_block_id()}
        out.append(block)
    return out


def _random_block_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(5))


def _walk(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _at(message: str, pointer: str) -> str:
    return f"{message} [json-pointer:{pointer}]"


class _Validator:
    """Walks a blocks array collecting Slack-worded errors."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.errors: list[str] = []

    def fail(self, message: str, pointer: str) -> None:
        self.errors.append(_at(message, pointer))

    # -- the array -------------------------------------------------------------------------

    def blocks(self, blocks: Any, pointer: str) -> list[str]:
        if not isinstance(blocks, list):
            self.fail("must provide an array", pointer)
            return self.errors
        limit = MAX_BLOCKS[self.surface]
        if len(blocks) > limit:
            self.fail(f"no more than {limit} items allowed", pointer)
        seen_ids: dict[str, int] = {}
        for index, block in enumerate(blocks):
            where = f"{pointer}/{index}"
            self.block(block, where)
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if isinstance(block_id, str):
                if block_id in seen_ids:
                    self.fail(f"duplicate block_id: {block_id}", f"{where}/block_id")
                seen_ids.setdefault(block_id, index)
        return self.errors

    # -- one block -------------------------------------------------------------------------

    def block(self, block: Any, p: str) -> None:
        if not isinstance(block, dict):
            self.fail("must provide an object", p)
            return
        kind = block.get("type")
        if not isinstance(kind, str):
            self.fail("missing required field: type", p)
            return
        if kind not in _SURFACE_BLOCKS[self.surface]:
            self.fail(f"unsupported type: {kind}", f"{p}/type")
            return
        allowed = _BLOCK_KEYS.get(kind)
        if allowed is not None:
            self.no_extra_keys(block, allowed, p)
        if "block_id" in block:
            self.string(block["block_id"], f"{p}/block_id", max_len=BLOCK_ID_MAX)
        check = getattr(self, f"block_{kind}", None)
        if check is not None:
            check(block, p)

    def block_section(self, block: dict[str, Any], p: str) -> None:
        has_text = block.get("text") is not None
        has_fields = block.get("fields") is not None
        if not has_text and not has_fields:
            self.fail("must define either `text` or `fields`", f"{p}/type")
        if has_text:
            self.text_object(block["text"], f"{p}/text", max_len=SECTION_TEXT_MAX)
        if has_fields:
            fields = block["fields"]
            if self.array(fields, f"{p}/fields", max_items=SECTION_FIELDS_MAX):
                for i, item in enumerate(fields):
                    self.text_object(item, f"{p}/fields/{i}", max_len=SECTION_FIELD_TEXT_MAX)
        if block.get("accessory") is not None:
            self.element(block["accessory"], f"{p}/accessory", ACCESSORY_ELEMENTS)
        if "expand" in block and not isinstance(block["expand"], bool):
            self.fail("must be a boolean", f"{p}/expand")

    def block_header(self, block: dict[str, Any], p: str) -> None:
        if "text" not in block:
            self.fail("missing required field: text", p)
            return
        self.text_object(block["text"], f"{p}/text", max_len=HEADER_TEXT_MAX, types=("plain_text",))

    def block_context(self, block: dict[str, Any], p: str) -> None:
        elements = block.get("elements")
        if elements is None:
            self.fail("missing required field: elements", p)
            return
        if not self.array(elements, f"{p}/elements", max_items=CONTEXT_ELEMENTS_MAX, min_items=1):
            return
        for i, element in enumerate(elements):
            where = f"{p}/elements/{i}"
            kind = element.get("type") if isinstance(element, dict) else None
            if kind == "image":
                self.image_element(element, where)
            else:
                self.text_object(element, where, max_len=CONTEXT_TEXT_MAX)

    def block_actions(self, block: dict[str, Any], p: str) -> None:
        elements = block.get("elements")
        if elements is None:
            self.fail("missing required field: elements", p)
            return
        if not self.array(elements, f"{p}/elements", max_items=ACTIONS_ELEMENTS_MAX, min_items=1):
            return
        action_ids: set[str] = set()
        for i, element in enumerate(elements):
            where = f"{p}/elements/{i}"
            self.element(element, where, INTERACTIVE_ELEMENTS)
            action_id = element.get("action_id") if isinstance(element, dict) else None
            if isinstance(action_id, str):
                # Slack wants action_ids unique within their block (Block Kit reference).
                if action_id in action_ids:
                    self.fail(f"duplicate action_id: {action_id}", f"{where}/action_id")
                action_ids.add(action_id)

    def block_divider(self, block: dict[str, Any], p: str) -> None:
        """A divider has nothing but ``type`` and ``block_id``."""

    def block_image(self, block: dict[str, Any], p: str) -> None:
        self.image_source(block, p)
        if "alt_text" not in block:
            self.fail("missing required field: alt_text", p)
        else:
            self.string(block["alt_text"], f"{p}/alt_text", max_len=IMAGE_ALT_TEXT_MAX)
        if block.get("title") is not None:
            self.text_object(
                block["title"], f"{p}/title", max_len=IMAGE_TITLE_MAX, types=("plain_text",)
            )

    def block_markdown(self, block: dict[str, Any], p: str) -> None:
        if "text" not in block:
            self.fail("missing required field: text", p)
            return
        self.string(block["text"], f"{p}/text", max_len=MARKDOWN_BLOCK_TEXT_MAX, min_len=1)

    def block_rich_text(self, block: dict[str, Any], p: str) -> None:
        elements = block.get("elements")
        if elements is None:
            self.fail("missing required field: elements", p)
            return
        if not self.array(elements, f"{p}/elements"):
            return
        kinds = {"rich_text_section", "rich_text_list", "rich_text_quote", "rich_text_preformatted"}
        for i, element in enumerate(elements):
            kind = element.get("type") if isinstance(element, dict) else None
            if kind not in kinds:
                self.fail(f"unsupported type: {kind}", f"{p}/elements/{i}/type")

    def block_file(self, block: dict[str, Any], p: str) -> None:
        for name in ("external_id", "source"):
            if not isinstance(block.get(name), str):
                self.fail(f"missing required field: {name}", p)

    # -- elements --------------------------------------------------------------------------

    def element(self, element: Any, p: str, allowed: frozenset[str]) -> None:
        if not isinstance(element, dict):
            self.fail("must provide an object", p)
            return
        kind = element.get("type")
        if not isinstance(kind, str):
            self.fail("missing required field: type", p)
            return
        if kind not in allowed:
            self.fail(f"unsupported type: {kind}", f"{p}/type")
            return
        if kind == "button":
            self.button(element, p)
        elif kind == "image":
            self.image_element(element, p)
        elif "action_id" in element:
            self.string(element["action_id"], f"{p}/action_id", max_len=ACTION_ID_MAX)

    def button(self, button: dict[str, Any], p: str) -> None:
        self.no_extra_keys(button, _BUTTON_KEYS, p)
        if "text" not in button:
            self.fail("missing required field: text", p)
        else:
            self.text_object(
                button["text"], f"{p}/text", max_len=BUTTON_TEXT_MAX, types=("plain_text",)
            )
        if "action_id" in button:
            self.string(button["action_id"], f"{p}/action_id", max_len=ACTION_ID_MAX, min_len=1)
        if "value" in button:
            self.string(button["value"], f"{p}/value", max_len=BUTTON_VALUE_MAX)
        if "url" in button:
            self.string(button["url"], f"{p}/url", max_len=URL_MAX, min_len=1)
        if "accessibility_label" in button:
            self.string(
                button["accessibility_label"],
                f"{p}/accessibility_label",
                max_len=ACCESSIBILITY_LABEL_MAX,
                min_len=1,
            )
        if "style" in button and button["style"] not in ("primary", "danger"):
            self.fail("must be a valid enum value", f"{p}/style")
        if "confirm" in button and not isinstance(button["confirm"], dict):
            self.fail("must provide an object", f"{p}/confirm")

    def image_element(self, image: dict[str, Any], p: str) -> None:
        self.no_extra_keys(image, _IMAGE_ELEMENT_KEYS, p)
        self.image_source(image, p)
        if "alt_text" not in image:
            self.fail("missing required field: alt_text", p)
        else:
            self.string(image["alt_text"], f"{p}/alt_text", max_len=IMAGE_ALT_TEXT_MAX)

    def image_source(self, image: dict[str, Any], p: str) -> None:
        if "image_url" in image:
            self.string(image["image_url"], f"{p}/image_url", max_len=URL_MAX, min_len=1)
        elif not isinstance(image.get("slack_file"), dict):
            self.fail("must provide either `image_url` or `slack_file`", p)

    # -- text objects and primitives -------------------------------------------------------

    def text_object(
        self,
        obj: Any,
        p: str,
        *,
        max_len: int,
        types: tuple[str, ...] = TEXT_TYPES,
    ) -> None:
        problems: list[str] = []
        if not isinstance(obj, dict):
            problems.append(_at("must provide an object", p))
        else:
            kind = obj.get("type")
            if kind not in types:
                problems.append(_at("must be a valid enum value", f"{p}/type"))
            extra = sorted(set(obj) - _TEXT_KEYS)
            problems.extend(_at("invalid additional property", f"{p}/{k}") for k in extra)
            if "text" not in obj:
                problems.append(_at("missing required field: text", p))
            else:
                problems.extend(_string_problems(obj["text"], f"{p}/text", max_len, 1))
        if not problems:
            return
        if len(types) > 1:
            # The text may be either schema; Slack says so before saying why neither fits.
            self.fail("failed to match all allowed schemas", p)
        self.errors.extend(problems)

    def string(self, value: Any, p: str, *, max_len: int, min_len: int = 0) -> None:
        self.errors.extend(_string_problems(value, p, max_len, min_len))

    def array(
        self, value: Any, p: str, *, max_items: int | None = None, min_items: int = 0
    ) -> bool:
        if not isinstance(value, list):
            self.fail("must provide an array", p)
            return False
        if max_items is not None and len(value) > max_items:
            self.fail(f"no more than {max_items} items allowed", p)
        if len(value) < min_items:
            self.fail(f"must provide at least {min_items} items", p)
        return True

    def no_extra_keys(self, obj: dict[str, Any], allowed: frozenset[str], p: str) -> None:
        for key in sorted(set(obj) - allowed):
            self.fail("invalid additional property", f"{p}/{key}")


def _string_problems(value: Any, p: str, max_len: int, min_len: int) -> list[str]:
    if not isinstance(value, str):
        return [_at("must be a string", p)]
    if len(value) > max_len:
        return [_at(f"must be less than {max_len + 1} characters", p)]
    if len(value) < min_len:
        return [_at(f"must be more than {min_len - 1} characters", p)]
    return []
