"""Knowledge-base articles of the demo: markdown, each with its revisions and the crash it explains.

Revisions are saved in order (the first creates the article); ``translations`` are further
language versions; ``link`` names a crash kind of ``sender.py`` and the versions it affects.
``after_regression`` articles are written once 1.2.0 has been seen, the others before it.
"""

from __future__ import annotations

import msgspec

from server.services.kb_models import Status, Visibility


class Revision(msgspec.Struct, frozen=True):
    title: str
    body: str
    summary: str


class Link(msgspec.Struct, frozen=True):
    kind: str
    affected: str | None = None
    fixed_in: str | None = None
    workaround: str | None = None


class DemoArticle(msgspec.Struct, frozen=True):
    revisions: tuple[Revision, ...]
    status: Status
    visibility: Visibility
    tags: tuple[str, ...]
    language: str = "en"
    translations: tuple[tuple[str, Revision], ...] = ()
    link: Link | None = None
    after_regression: tuple[Revision, ...] = ()  # saved after the regression of its cluster


GIFT_CARD = DemoArticle(
    revisions=(
        Revision("App closes when adding a gift card", "Some gift cards close the app when added to the cart.",
                 "first notes from support"),
        Revision("App closes when adding an imported gift card to the cart",
                 "Gift cards imported from the old shop have no SKU, and adding one to the cart closes the app.\n\n"
                 "## Workaround\n\nAsk the customer to buy the gift card again from the **Gift cards** page; "
                 "those have a SKU.\n",
                 "cause found by engineering"),
        Revision("App closes when adding an imported gift card to the cart",
                 "Gift cards imported from the old shop have no SKU, and adding one to the cart closes the app "
                 "(`KeyError: 'sku'`).\n\n## Who is affected\n\nEvery version so far (1.0.0 to 1.2.0).\n\n"
                 "## Workaround\n\n1. Open **Gift cards** in the shop menu.\n2. Buy the same amount again; "
                 "support refunds the old card on request.\n",
                 "added affected versions and steps"),
    ),
    status="published", visibility="public", tags=("checkout", "gift-card"),
    translations=(("zh", Revision("添加导入的礼品卡时应用关闭",
                                  "从旧商店导入的礼品卡没有 SKU，添加到购物车时应用会关闭（`KeyError: 'sku'`）。\n\n"
                                  "## 临时解决办法\n\n请在 **礼品卡** 页面重新购买同样金额的礼品卡，旧卡可申请退款。\n",
                                  "中文版")),),
    link=Link("cart_sku", affected=">=1.0.0", workaround="Buy the gift card again from the Gift cards page."),
)

COUPON = DemoArticle(
    revisions=(
        Revision("Coupon on an empty cart closes the app",
                 "Entering a coupon code while the cart is empty closes the app.\n", "first report"),
        Revision("Coupon on an empty cart closes the app (fixed in 1.1.0)",
                 "Entering a coupon code while the cart is empty closes the app (`ZeroDivisionError`).\n\n"
                 "**Fixed in shop 1.1.0.** Ask the customer to update the app.\n",
                 "fixed in 1.1.0"),
    ),
    status="published", visibility="public", tags=("checkout", "coupon"),
    link=Link("coupon_zero", affected=">=1.0.0 <1.1.0", fixed_in="shop@1.1.0"),
    after_regression=(
        Revision("Coupon on an empty cart closes the app (back in 1.2.0)",
                 "Entering a coupon code while the cart is empty closes the app (`ZeroDivisionError`).\n\n"
                 "It was fixed in shop 1.1.0 and **came back in 1.2.0**; engineering is on it.\n\n"
                 "## Workaround\n\nAdd an item to the cart first, then enter the coupon code.\n",
                 "regressed in 1.2.0: workaround added"),
    ),
)

GATEWAY = DemoArticle(
    revisions=(
        Revision("Runbook: payment gateway timeouts",
                 "When customers report that the payment gateway did not answer:\n\n"
                 "1. Check the provider's status page.\n2. Tell the customer their card was not charged.\n",
                 "first version"),
        Revision("Runbook: payment gateway timeouts",
                 "When customers report that the payment gateway did not answer:\n\n"
                 "1. Check the provider's status page and the `PaymentGatewayTimeoutError` cluster's last seen time.\n"
                 "2. Tell the customer their card was **not** charged; the order stays unpaid.\n"
                 "3. If it lasts over 15 minutes, page the payments on-call.\n",
                 "escalation step"),
    ),
    status="published", visibility="internal", tags=("payments", "runbook"),
    link=Link("gateway_timeout", affected=">=1.0.0"),
)

PROFILE_AGE = DemoArticle(
    revisions=(
        Revision("个人资料保存失败", "年龄一栏填写了字母时，保存个人资料会失败。\n", "初稿"),
        Revision("个人资料保存失败：年龄必须填写数字",
                 "年龄一栏填写了字母（例如把数字 0 写成字母 O）时，保存个人资料会失败"
                 "（`ValueError: invalid literal for int()`）。\n\n## 解决办法\n\n请只用数字填写年龄，例如 `30`。\n",
                 "补充原因和解决办法"),
    ),
    status="published", visibility="public", tags=("profile",), language="zh",
    link=Link("profile_age", affected=">=1.1.0"),
)

RECEIPT = DemoArticle(
    revisions=(
        Revision("Guest orders get no receipt", "Draft: guest checkouts in 1.2.0 get no receipt e-mail.\n", "draft"),
        Revision("Guest orders get no receipt e-mail (1.2.0)",
                 "Draft: since 1.2.0 a guest checkout fails to send the receipt "
                 "(`AttributeError: 'NoneType' object has no attribute 'email'`).\n\n"
                 "TODO: workaround — resend from the admin order page?\n",
                 "cause from the crash"),
    ),
    status="draft", visibility="internal", tags=("receipts",),
    link=Link("receipt_none", affected=">=1.2.0"),
)

BEFORE_REGRESSION = (GIFT_CARD, COUPON, GATEWAY, PROFILE_AGE)
AFTER_REGRESSION = (RECEIPT,)  # its crash first appears in 1.2.0
