"""Queueing the export a person chose on /export's options screen (or in a group, at once)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aiogram.types import Message

from db import ArchiveStore, DiskBudgetExceeded, Job, JobKind, TooManyWaiting
from db.user_settings import UserSettings
from exporter.targets import ResolvedTarget

from .. import text
from ..context import App
from . import media_row
from .export_choice import options_for
from .export_filter import filter_line
from .policy import may_export, peer_id_of


async def submit(
    app: App,
    user_id: int,
    chat_id: int,
    thread_id: int | None,
    target: ResolvedTarget,
    picked: dict[str, Any],
    message: Message,
    *,
    edit: bool = False,
    reader: Mapping[str, int | None] | None = None,
) -> None:
    """Queue the export of ``target`` as ``picked`` says; ``reader``: the session the job must run on
    (bot/accounts/pool.py: reader_of), recorded with the options in the job's one insert, so no worker
    claims it before it is known."""
    if "media" not in picked:
        # Asked in a group, with no screen: the files the user last chose on one.
        picked = {**picked, **await media_row.remembered(app, user_id)}
    kind, options = options_for(picked)
    # Dates in the user's zone (/settings), fixed when the job is queued.
    options = replace(options, time_zone=await UserSettings(app.database).time_zone(user_id))
    try:
        # Kept archives count against the budget; a new export needs at least one part of room.
        budget = app.settings.disk_budget_mb * 1024 * 1024
        await ArchiveStore(app.database).check_disk_budget(budget, app.settings.part_size_bytes)
    except DiskBudgetExceeded as exc:
        refused = text.NO_ROOM.format(reason=exc, hours=app.settings.archive_max_age_hours)
        await (message.edit_text(refused) if edit else message.reply(refused))
        return
    job = await _queue(
        app, user_id, chat_id, thread_id, target, kind, {**options.to_json(), **(reader or {})}
    )
    if isinstance(job, str):
        await (message.edit_text(job) if edit else message.reply(job))
        return
    await app.queue.set_peer(job.id, target.chat.id, target.chat.name)
    position = await app.queue.position(job.id)
    title = target.chat.name or text.UNNAMED_CHAT
    queued = text.QUEUED_AT if position and position > 1 else text.QUEUED
    said = queued.format(title=title, position=position)
    only = filter_line(picked)
    if only is not None:
        said = f"{said}\n{only}"  # the filter in words once more, where no options screen showed it
    if edit:
        await message.edit_text(said)
        status_id = message.message_id
    else:
        status_id = (await message.reply(said)).message_id
    await app.queue.set_status_message(job.id, status_id)
    if app.pool is not None:
        app.pool.wake()


async def _queue(
    app: App,
    user_id: int,
    chat_id: int,
    thread_id: int | None,
    target: ResolvedTarget,
    kind: JobKind,
    options: dict[str, Any],
) -> Job | str:
    """The queued job, or the sentence saying why not."""
    if not await may_export(app, user_id, target):
        return text.NOT_SHARED
    try:
        # The cap is counted in the database in the submit's own transaction: two quick presses, or
        # two front-ends at once, cannot both pass it.
        return await app.queue.submit(
            user_id,
            chat_id,
            str(peer_id_of(target)),
            kind=kind,
            options=options,
            thread_id=thread_id,
            waiting_cap=app.waiting_cap(user_id),
        )
    except TooManyWaiting as exc:
        return text.TOO_MANY_WAITING.format(cap=exc.cap)
