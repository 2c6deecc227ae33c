"""Account errors come with the fix in words."""

from bwtui.hints import fix_hint


def test_rejected_key_names_where_to_get_one_and_how_to_store_it():
    hint = fix_hint("auth", "hivelocity", "hv-prod", "Your API key is invalid or missing.")
    assert "myVelocity" in hint and "bwtui auth set hv-prod" in hint
    assert "BWTUI_TOKEN_HV_PROD" in hint


def test_missing_token_message_already_says_the_fix():
    message = "no token for account 'x': set BWTUI_TOKEN_X, or store one with `bwtui auth set x`"
    assert fix_hint("auth", "altostrat", "x", message) is None


def test_forbidden_says_the_key_lacks_permission():
    assert "permission" in fix_hint("forbidden", "hivelocity", "hv", "")


def test_server_errors_need_no_hint():
    assert fix_hint("server", "hivelocity", "hv", "boom") is None


def test_a_refused_token_waiting_for_its_retry_says_where_to_fix_it_and_that_it_is_retried() -> None:
    message = "token rejected (401): retrying at 14:20 UTC — fix with `bwtui auth set hv-prod`"
    hint = fix_hint("auth", "hivelocity", "hv-prod", message)
    assert hint is not None and "myVelocity" in hint and "BWTUI_TOKEN_HV_PROD" in hint
    assert "press r" in hint
