"""The HTML export's one stylesheet, written as ``css/style.css``.

It loads nothing else (no ``url()``, no ``@import``), so the pages read offline.
"""

STYLESHEET = """\
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       background: #e7ebf0; color: #000; }
a { color: #168acd; text-decoration: none; }
a:hover { text-decoration: underline; }
.page_header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #dadce0;
               padding: 10px 16px; z-index: 1; }
.chat_name { font-weight: 600; font-size: 16px; }
.topic_name { font-weight: 600; color: #3e6d8c; }
.page_number, .details { color: #70777b; font-size: 12px; }
.nav { font-size: 12px; }
.history { max-width: 720px; margin: 0 auto; padding: 8px 12px 24px; }
.pagination { display: block; text-align: center; padding: 10px; margin: 8px 0; background: #fff;
              border-radius: 8px; }
.message { margin: 6px 0; }
.message.default { background: #fff; border-radius: 10px; padding: 8px 12px; overflow-wrap: anywhere; }
.message:target { box-shadow: 0 0 0 2px #5eb5f7; }
.message.service { text-align: center; }
.message.service .body { display: inline-block; background: rgba(0, 0, 0, .2); color: #fff;
                         border-radius: 12px; padding: 3px 10px; font-size: 13px; }
.message.service .body a { color: #fff; text-decoration: underline; }
.date { float: right; margin-left: 8px; }
.edited { font-style: italic; }
.from_name { font-weight: 600; color: #3a8ac6; }
.forwarded, .reply_to { border-left: 2px solid #5eb5f7; padding-left: 8px; margin: 4px 0; }
.text { white-space: pre-wrap; margin-top: 2px; }
.signature { text-align: right; }
.media { margin: 4px 0; padding: 6px 10px; background: #f2f6f9; border-radius: 8px;
         width: fit-content; max-width: 100%; box-sizing: border-box; }
.media_title { font-weight: 500; }
/* Width and height come from the message (scaled to fit); on a narrow screen the picture shrinks and
   keeps its shape, so nothing is wider than the page and nothing moves while files load. */
.media img, .media video { display: block; max-width: 100%; height: auto; margin-top: 4px;
                           border-radius: 6px; background: #dfe5ea; }
.media .sticker { background: none; }
/* A round video is a circle, as in Telegram; pointed at or played, a rounded square, so the
   browser's controls along its bottom edge are not cut off. */
.media video.round { border-radius: 50%; object-fit: cover; transition: border-radius .2s; }
.media video.round:hover, .media video.round:focus { border-radius: 12px; }
.media audio { display: block; width: 100%; max-width: 360px; margin-top: 4px; }
.media a.file { display: flex; align-items: center; gap: 8px; font-weight: 500; }
.media .thumb { width: 48px; height: 48px; object-fit: cover; margin: 0; flex: none; }
.media .missing { margin-top: 4px; }
.spoiler_media img, .spoiler_media video { filter: blur(24px); }
.spoiler_media:hover img, .spoiler_media:hover video { filter: none; }
.service_photo img { display: block; margin: 6px auto 0; border-radius: 50%; object-fit: cover; }
.poll ul { margin: 4px 0; padding-left: 20px; }
.poll li.chosen { font-weight: 600; }
.question { font-weight: 600; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 6px 8px; border-radius: 6px; margin: 4px 0; }
code { background: #f4f4f4; padding: 0 3px; border-radius: 3px; }
blockquote { margin: 4px 0; padding-left: 10px; border-left: 3px solid #5eb5f7; }
blockquote.collapsed { max-height: 4.5em; overflow: hidden; }
.spoiler { background: #9aa3ab; color: transparent; border-radius: 3px; }
.spoiler:hover, .spoiler:focus { background: none; color: inherit; }
.hashtag, .command, .link, .phone { color: #168acd; }
img.custom_emoji { display: inline-block; vertical-align: -4px; margin: 0 1px; }
.reactions { margin-top: 6px; }
.reaction { display: inline-block; background: #e8f1f8; border-radius: 12px; padding: 1px 8px;
            margin: 2px 4px 0 0; font-size: 13px; }
.buttons { margin-top: 6px; }
.button_row { display: flex; gap: 4px; margin-top: 4px; }
.button { flex: 1; text-align: center; background: #e8f1f8; border-radius: 6px; padding: 4px; }
.topics { max-width: 720px; margin: 12px auto; padding: 0 12px; list-style: none; }
.topic { background: #fff; border-radius: 10px; padding: 10px 14px; margin: 6px 0; }
.badge { font-size: 11px; background: #70777b; color: #fff; border-radius: 8px; padding: 0 6px; }
"""
