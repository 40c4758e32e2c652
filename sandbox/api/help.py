"""help.*: the config that tells a client where every DC is."""

from __future__ import annotations

import time

from telethon.tl import functions as F
from telethon.tl import types as T

from . import Call, rpc


@rpc(F.help.GetConfigRequest, public=True)
def get_config(call: Call, request: F.help.GetConfigRequest) -> T.Config:
    # Every DC on 127.0.0.1: a client must never dial real Telegram from the sandbox.
    now = int(time.time())
    this = call.ctx.dc
    return T.Config(
        date=now,
        expires=now + 3600,
        test_mode=False,
        this_dc=this.dc_id,
        dc_options=[
            T.DcOption(id=dc.dc_id, ip_address=dc.host, port=dc.port) for dc in call.cluster.dcs.values()
        ],
        dc_txt_domain_name="sandbox.invalid",
        chat_size_max=200,
        megagroup_size_max=200000,
        forwarded_count_max=100,
        online_update_period_ms=210000,
        offline_blur_timeout_ms=5000,
        offline_idle_timeout_ms=30000,
        online_cloud_timeout_ms=300000,
        notify_cloud_delay_ms=30000,
        notify_default_delay_ms=1500,
        push_chat_period_ms=60000,
        push_chat_limit=2,
        edit_time_limit=172800,
        revoke_time_limit=2147483647,
        revoke_pm_time_limit=2147483647,
        rating_e_decay=2419200,
        stickers_recent_limit=200,
        channels_read_media_period=604800,
        call_receive_timeout_ms=20000,
        call_ring_timeout_ms=90000,
        call_connect_timeout_ms=30000,
        call_packet_timeout_ms=10000,
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=this.dc_id,
    )


@rpc(F.help.GetNearestDcRequest, public=True)
def get_nearest_dc(call: Call, request: F.help.GetNearestDcRequest) -> T.NearestDc:
    return T.NearestDc(country="ZZ", this_dc=call.ctx.dc.dc_id, nearest_dc=call.cluster.home_dc)
