"""Text-message test helpers: the fake Twilio's account (the ``fake_twilio``
fixture in conftest.py points the portal at it) and GSM-7 segment counting."""

import base64

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SENDER = "+15005550006"
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
BASIC_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


# GSM 03.38: the basic set costs one character each, the extension set two
# (an escape first); any other character makes the whole text UCS-2.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"


def gsm7_length(text: str) -> int | None:
    """Septets the text takes in GSM-7, or None if it needs UCS-2."""
    length = 0
    for char in text:
        if char in GSM7_BASIC:
            length += 1
        elif char in GSM7_EXTENSION:
            length += 2
        else:
            return None
    return length


def segments(text: str) -> int:
    """How many parts a phone network bills: 160 septets in one, 153 per part
    when split (GSM-7); 70 and 67 characters in UCS-2."""
    septets = gsm7_length(text)
    single, part, size = (160, 153, septets) if septets is not None else (70, 67, len(text))
    return 1 if size <= single else -(-size // part)
