"""Contents for preview and diff tests: a small flow and catalogue written here, or the shipped config,
built into checked sides by the gateway's own builder (gateway.flowfiles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gateway.actions import base_actions
from gateway.content.diff import Side
from gateway.content.model import Content, configured_content
from gateway.flowfiles import check_content
from gateway.settings import Settings, load_settings

CONFIG = Path(__file__).resolve().parent.parent / "config"

MAIN = """
flow: main
start: home
nodes:
  home:
    type: menu
    text: {fa: "پیشخوان دولت", en: "Government services"}
    options:
      - label: {fa: "پیگیری درخواست", en: "Track a request"}
        goto: track
      - label: {fa: "راهنما", en: "Help"}
        goto: help
      - label: {fa: "خدمات", en: "Services"}
        goto: services:categories
  track:
    type: input
    text: {fa: "کد پیگیری را وارد کنید:", en: "Enter your tracking code:"}
    validator: tracking_code
    var: code
    next: lookup
  lookup:
    type: action
    action: request_status
    args: {code: "{code}"}
    next: status
    outcomes: {error: help}
  status:
    type: message
    text: {fa: "وضعیت: {status_text}", en: "Status: {status_text}"}
  help:
    type: message
    text: {fa: "راهنما: کد را بفرستید.", en: "Help: send your code."}
"""

CATALOGUE = """
categories:
  - id: identity
    title: {fa: "هویت", en: "Identity"}
services:
  - id: "121095000"
    category: identity
    title: {fa: "کارت ملی", en: "National ID card"}
    type: G2C
    fee: 0
    channels: [ussd, sms, telegram]
    inputs:
      - name: national_code
        validator: national_code
        prompt: {fa: "کد ملی:", en: "National code:"}
"""


def small_settings() -> Settings:
    """The shipped settings, entering and coming home at the small flow's `main:home`."""
    return load_settings(CONFIG, environ={}).updated({"flows": {"entry": "main:home", "home": "main:home"}})


def shipped_settings() -> Settings:
    """The shipped settings as they are."""
    return load_settings(CONFIG, environ={})


def yaml_of(text: str) -> Any:
    """YAML text as data, to be edited by a test before it becomes a side."""
    return yaml.safe_load(text)


def side(settings: Settings, flows: list[Any] | None = None, catalogue: Any = None) -> Side:
    """A checked side from flow and catalogue data (default: the small ones above); FlowErrors when invalid."""
    data = flows or [yaml_of(MAIN)]
    content = Content({f"{flow['flow']}.yaml": flow for flow in data}, yaml_of(CATALOGUE) if catalogue is None else catalogue)
    checked = check_content(content, settings, base_actions())
    return Side(checked.flowset, checked.catalogue)


def shipped_side(settings: Settings, catalogue: Any = None) -> Side:
    """The shipped flows with the shipped catalogue (or `catalogue` data in its place)."""
    shipped = configured_content(settings)
    checked = check_content(shipped if catalogue is None else Content(shipped.flows, catalogue), settings, base_actions())
    return Side(checked.flowset, checked.catalogue)
