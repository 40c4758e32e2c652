"""The HTML export's one stylesheet, written as ``css/style.css``.

It loads nothing else (no ``url()``, no ``@import``), so the pages read offline.  Colours are
variables, set twice: the light theme, and a dark one when the system asks for it
(``prefers-color-scheme``).

Sender colours: userpics use Telegram Desktop export's ``userpic1`` … ``userpic8`` backgrounds
(Telegram/Resources/export_html/css/style.css); names on the light theme use Desktop's own
``historyPeer1NameFg`` … ``historyPeer8NameFg`` (lib_ui ui/colors.palette), darker than the
userpics so they read on white; on the dark theme names take the userpic colours, which read on
dark grey.  The dark theme's greys are a guess: close to Telegram Desktop's night theme.
"""

from .html_comments import STYLE as COMMENTS_STYLE

_USERPICS = ("#ff5555", "#64bf47", "#ffab00", "#4f9cd9", "#9884e8", "#e671a5", "#47bcd1", "#ff8c44")
_NAMES = ("#c03d33", "#4fad2d", "#d09306", "#168acd", "#8544d6", "#cd4073", "#2996ad", "#ce671b")


def _peer_colours() -> str:
    rules = []
    for index, (picture, name) in enumerate(zip(_USERPICS, _NAMES, strict=True), start=1):
        rules.append(f".userpic{index} {{ background: {picture}; }}")
        rules.append(f".name{index} {{ color: {name}; }}")
        rules.append(f"@media (prefers-color-scheme: dark) {{ .name{index} {{ color: {picture}; }} }}")
    return "\n".join(rules) + "\n"


STYLESHEET = (
    """\
:root { --page: #e7ebf0; --panel: #fff; --text: #000; --muted: #70777b; --link: #168acd;
        --accent: #5eb5f7; --soft: #f2f6f9; --code: #f4f4f4; --chip: #e8f1f8; --line: #dadce0;
        --service: rgba(0, 0, 0, .2); --mark: #fde293; color-scheme: light dark; }
@media (prefers-color-scheme: dark) {
  :root { --page: #0e1621; --panel: #182533; --text: #f5f5f5; --muted: #8a9aa9; --link: #6ab3f3;
          --accent: #6ab3f3; --soft: #1e2c3a; --code: #223140; --chip: #233447; --line: #101921;
          --service: rgba(255, 255, 255, .12); --mark: #6b5b1e; }
}
/* A message a link jumps to stops below the sticky header: the script measures the header into
   --header; without it, the height of a two-line header on a wide screen. */
html { scroll-padding-top: calc(var(--header, 64px) + 8px); }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       background: var(--page); color: var(--text); }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
.page_header { position: sticky; top: 0; background: var(--panel); border-bottom: 1px solid var(--line);
               padding: 8px 16px; z-index: 2; }
.header_row { display: flex; align-items: center; gap: 12px; max-width: 720px; margin: 0 auto; }
.titles { flex: 1; min-width: 0; }
.chat_name { font-weight: 600; font-size: 16px; overflow: hidden; text-overflow: ellipsis;
             white-space: nowrap; }
.details { color: var(--muted); font-size: 12px; }
.search { display: none; flex: none; }
.js .search { display: block; }
.search input { width: 12em; max-width: 36vw; box-sizing: border-box; font: inherit; padding: 5px 10px;
                border: 1px solid var(--line); border-radius: 16px; background: var(--page); color: var(--text); }
.search_results { max-width: 720px; margin: 8px auto 0; max-height: 60vh; overflow-y: auto; }
.result { display: block; padding: 6px 8px; border-radius: 8px; color: var(--text); overflow-wrap: anywhere; }
.result:hover { background: var(--soft); text-decoration: none; }
.result_meta { display: block; }
.result_status { padding: 4px 8px; }
mark { background: var(--mark); color: inherit; border-radius: 2px; }
.history { max-width: 720px; margin: 0 auto; padding: 8px 12px 24px; }
.pagination { display: block; text-align: center; padding: 10px; margin: 8px 0; background: var(--panel);
              border-radius: 8px; }
/* Space above each message only: a joined one (below) keeps close to the one before it. */
.message { margin: 8px 0 0; }
/* A sender's userpic beside their block of messages, as Desktop's export (kHistoryUserpicSize 42). */
.message.default { display: grid; grid-template-columns: 42px minmax(0, 1fr); column-gap: 8px;
                   align-items: start; }
.message.default > .body { grid-column: 2; background: var(--panel); border-radius: 10px; padding: 8px 12px;
                           overflow-wrap: anywhere; }
.message.joined { margin-top: 2px; }
.userpic { width: 42px; height: 42px; border-radius: 50%; color: #fff; font-weight: 600; font-size: 15px;
           display: flex; align-items: center; justify-content: center; overflow: hidden; user-select: none;
           position: relative; }
/* The profile photo covers the initials, which show for a sender without one (html_people). */
.userpic img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; }
.message:target > .body { box-shadow: 0 0 0 2px var(--accent); }
.message.service { text-align: center; }
.message.service .body { display: inline-block; background: var(--service); color: #fff;
                         border-radius: 12px; padding: 3px 10px; font-size: 13px; }
.message.service .body a { color: #fff; text-decoration: underline; }
.date { float: right; margin-left: 8px; }
.edited { font-style: italic; }
/* Left, as the page reads: dir="auto" isolates a right-to-left name, which would otherwise align it right. */
.from_name { font-weight: 600; text-align: left; }
.forwarded, .reply_to { border-left: 2px solid var(--accent); padding-left: 8px; margin: 4px 0; }
.text { white-space: pre-wrap; margin-top: 2px; unicode-bidi: plaintext; text-align: start; }
.signature { text-align: right; }
.media { margin: 4px 0; padding: 6px 10px; background: var(--soft); border-radius: 8px;
         width: fit-content; max-width: 100%; box-sizing: border-box; }
.media_title { font-weight: 500; }
/* Width and height come from the message (scaled to fit); on a narrow screen the picture shrinks and
   keeps its shape, so nothing is wider than the page and nothing moves while files load. */
.media img, .media video { display: block; max-width: 100%; height: auto; margin-top: 4px;
                           border-radius: 6px; background: var(--chip); }
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
pre { white-space: pre-wrap; background: var(--code); padding: 6px 8px; border-radius: 6px; margin: 4px 0; }
code { background: var(--code); padding: 0 3px; border-radius: 3px; }
blockquote { margin: 4px 0; padding-left: 10px; border-left: 3px solid var(--accent); }
blockquote.collapsed { max-height: 4.5em; overflow: hidden; }
.spoiler { background: var(--muted); color: transparent; border-radius: 3px; }
.spoiler:hover, .spoiler:focus { background: none; color: inherit; }
.hashtag, .command, .link, .phone { color: var(--link); }
img.custom_emoji { display: inline-block; vertical-align: -4px; margin: 0 1px; }
.reactions { margin-top: 6px; }
.reaction { display: inline-block; background: var(--chip); border-radius: 12px; padding: 1px 8px;
            margin: 2px 4px 0 0; font-size: 13px; }
.buttons { margin-top: 6px; }
.button_row { display: flex; gap: 4px; margin-top: 4px; }
.button { flex: 1; text-align: center; background: var(--chip); border-radius: 6px; padding: 4px; }
.topics { max-width: 720px; margin: 12px auto; padding: 0 12px; list-style: none; }
.topic { display: flex; align-items: center; gap: 12px; background: var(--panel); border-radius: 10px;
         padding: 10px 14px; margin: 6px 0; }
.topic_text { min-width: 0; overflow-wrap: anywhere; }
.topic_text > a { font-weight: 600; }
.topic_icon { flex: none; width: 32px; height: 32px; border-radius: 50%; color: #fff; font-weight: 600;
              display: flex; align-items: center; justify-content: center; }
.badge { font-size: 11px; background: var(--muted); color: var(--panel); border-radius: 8px; padding: 0 6px; }
/* A phone: smaller userpics leave the text more of the screen. */
@media (max-width: 480px) {
  .message.default { grid-template-columns: 32px minmax(0, 1fr); column-gap: 6px; }
  .userpic { width: 32px; height: 32px; font-size: 12px; }
  .history { padding: 8px 6px 24px; }
  .page_header { padding: 8px 10px; }
}
"""
    + COMMENTS_STYLE
    + _peer_colours()
)
