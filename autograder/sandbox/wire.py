"""The parent's side of the child's wire: which lines are replies, and well-formed ones.

The child (`child.py`) writes one JSON object per line on the reply pipe; it is the
student's process, so anything may arrive there.  A line counts only if it is a reply
(or a progress line) carrying the request's random id, shaped exactly like what
`child.encode` produces; everything else is discarded by the caller.
"""
import json

from . import child


def _well_formed(value):
    """Is ``value`` what `child.encode` produces (so `child.decode` cannot fail on it)?"""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 3 * child.MAX_DEPTH + 8:
            return False
        t = type(item)
        if item is None or t in (bool, int, float, str):
            continue
        if t is list:
            stack.extend((v, depth + 1) for v in item)
            continue
        if t is not dict or len(item) != 1:
            return False
        (tag, inner), = item.items()
        if tag == "$object":
            if type(inner) is not str:
                return False
        elif tag in ("$tuple", "$set"):
            if type(inner) is not list:
                return False
            stack.extend((v, depth + 1) for v in inner)
        elif tag == "$dict":
            if type(inner) is not list:
                return False
            for pair in inner:
                if type(pair) is not list or len(pair) != 2:
                    return False
                stack.extend((v, depth + 2) for v in pair)
        else:
            return False
    return True


_ERROR_FIELDS = ("kind", "type", "name", "message", "traceback")


def _setup_value(value):
    """Is ``value`` what the setup reply carries: a list of {"cell": str, "error": {str: str}}?"""
    return type(value) is list and all(
        type(item) is dict and type(item.get("cell")) is str and type(item.get("error")) is dict
        and all(type(item["error"].get(k, "")) is str for k in _ERROR_FIELDS) for item in value)


def parse_reply(line, request_id, setup=False):
    """The reply (or progress line) in ``line`` if it is one for ``request_id``, else None."""
    try:
        message = json.loads(line)
    except (ValueError, RecursionError, MemoryError):
        return None
    if type(message) is not dict or type(message.get("id")) is not int or message["id"] != request_id:
        return None
    if "progress" in message:
        return message if type(message["progress"]) is int and len(message) == 2 else None
    if "error" in message:
        error = message["error"]
        if type(error) is not dict or not all(type(error.get(k, "")) is str for k in _ERROR_FIELDS):
            return None
        return {"id": request_id, "error": {k: error[k][:20000] for k in _ERROR_FIELDS if k in error}}
    if "value" in message and (_setup_value if setup else _well_formed)(message["value"]):
        return {"id": request_id, "value": message["value"]}
    return None


# ---------------------------------------------------------------------------
# The transport
