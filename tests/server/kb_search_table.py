"""Known-issue articles and the queries each must answer first: English, Chinese and mixed.

Written for these tests (no outside source). Queries use customers' words, engineers'
words and pasted error messages; ``bench/search_quality.py`` scores the tokenizers on it.
"""

from __future__ import annotations

# key -> (language, title, body, tags)
ARTICLES: dict[str, tuple[str, str, str, list[str]]] = {
    "npe-startup": ("en", "App crashes on startup with NullPointerException",
                    "On Android 14 the app closes right after launch. The stack shows java.lang.NullPointerException"
                    " in MainActivity.onCreate when the saved session is empty. Workaround: clear the app data.",
                    ["android", "startup"]),
    "payment-timeout": ("en", "Payment fails with a timeout at checkout",
                        "Customers see 'Payment could not be completed' after 30 seconds. The gateway call raises"
                        " requests.exceptions.ReadTimeout. Retry after a minute; fixed in 2.4.1.",
                        ["payments"]),
    "login-loop": ("en", "Login page keeps reloading after password reset",
                   "After resetting the password the browser returns to the sign-in form again and again."
                   " Clear cookies for the site, then sign in.", ["login", "web"]),
    "sync-conflict": ("en", "Offline edits lost when two devices sync",
                      "Edits made offline on a phone are overwritten when a tablet syncs first. The sync engine logs"
                      " SyncConflictError. Keep one device online while editing.", ["sync"]),
    "export-pdf": ("en", "Exporting a report to PDF produces a blank page",
                   "Large reports export as an empty PDF because the renderer runs out of memory (MemoryError in"
                   " pdf_renderer.render_page). Export fewer than 500 rows at a time.", ["export"]),
    "upload-size": ("en", "Photo upload rejected: file too large",
                    "Uploads above 20 MB answer 413 Payload Too Large. Resize photos before uploading.", ["upload"]),
    "dark-mode": ("en", "Text unreadable in dark mode on the settings screen",
                  "Labels on the settings screen stay black on a dark background. Switch to the light theme.",
                  ["ui"]),
    "zh-pay-crash": ("zh", "支付页面点击确认按钮后闪退",
                     "部分安卓用户在支付页面点击确认按钮后应用直接闪退，日志显示 IllegalStateException 来自"
                     " PaymentFragment.onConfirm。请升级到 3.2.0 版本。", ["支付", "安卓"]),
    "zh-login-fail": ("zh", "登录时提示网络错误",
                      "用户登录时提示“网络连接失败”，实际是服务器证书过期导致 SSLHandshakeException。"
                      "更新证书后恢复正常。", ["登录"]),
    "zh-push": ("zh", "收不到推送通知",
                "升级系统后部分手机收不到消息推送。请在系统设置中允许应用后台运行并开启通知权限。", ["推送"]),
    "zh-video-freeze": ("zh", "播放视频时画面卡住但声音继续",
                        "在低端设备上播放高清视频时画面冻结，声音仍在播放。原因是硬件解码器不支持该格式，"
                        "可以在设置中关闭硬件加速。", ["视频"]),
    "zh-storage": ("zh", "存储空间不足导致无法保存文件",
                   "当手机存储空间不足时保存文件失败，出现 IOException: No space left on device。"
                   "请清理缓存后重试。", ["存储"]),
    "zh-order-dup": ("zh", "订单重复扣款",
                     "网络较慢时用户多次点击提交，导致同一订单被扣款两次。退款会在三个工作日内到账。", ["订单", "支付"]),
    "mixed-db-lock": ("zh", "数据库锁超时 sqlite3.OperationalError: database is locked",
                      "同时写入数据库时出现 sqlite3.OperationalError: database is locked。"
                      "这是因为后台同步和前台保存争用同一个连接。已在 5.1.0 修复。", ["数据库"]),
}

# (query, the article that must rank first)
QUERIES: list[tuple[str, str]] = [
    ("app crashes when I open it", "npe-startup"),
    ("NullPointerException", "npe-startup"),
    ("MainActivity.onCreate", "npe-startup"),
    ("payment timeout", "payment-timeout"),
    ("ReadTimeout checkout", "payment-timeout"),
    ("cannot log in, the page reloads", "login-loop"),
    ("sync conflict lost edits", "sync-conflict"),
    ("SyncConflictError", "sync-conflict"),
    ("pdf export is empty", "export-pdf"),
    ("pdf_renderer.render_page MemoryError", "export-pdf"),
    ("upload too large", "upload-size"),
    ("dark mode unreadable", "dark-mode"),
    ("支付闪退", "zh-pay-crash"),
    ("点击确认按钮后应用闪退了怎么办", "zh-pay-crash"),
    ("登录网络错误", "zh-login-fail"),
    ("为什么收不到通知", "zh-push"),
    ("视频卡住", "zh-video-freeze"),
    ("存储空间不足", "zh-storage"),
    ("重复扣款", "zh-order-dup"),
    ("支付页面报 IllegalStateException", "zh-pay-crash"),
    ("登录时报错 SSLHandshakeException", "zh-login-fail"),
    ("保存文件时出现 No space left on device", "zh-storage"),
    ("database is locked 怎么解决", "mixed-db-lock"),
    ("sqlite3.OperationalError", "mixed-db-lock"),
]
