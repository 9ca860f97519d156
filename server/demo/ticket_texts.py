"""Support tickets the demo's customers write, in English and Chinese.

``trace`` names a crash kind of ``sender.py``: the body gets the traceback the customer's app
printed for it (a pasted trace joins the crash's cluster); tickets without one are prose, some
describing the same problem twice in different words. ``agent`` is what an agent does next on
the support desk: put it in (confirm or correct) the cluster of that crash kind and send the
article linked to it.
"""

from __future__ import annotations

import msgspec


class DemoTicket(msgspec.Struct, frozen=True):
    subject: str
    body: str  # ``{trace}`` is replaced by the traceback of ``trace``
    customer: str
    version: str
    language: str
    trace: str | None = None
    agent: str | None = None  # a crash kind: the agent's cluster for it, answered with that crash's article


TICKETS = (
    DemoTicket(
        "App crashed when I added a gift card to my cart",
        "Hi, every time I add the imported gift card to the cart the shop app closes. The log said:\n\n{trace}\n"
        "I'm on the latest version from the site. Thanks!",
        "alice@example.com", "shop@1.1.0", "en", trace="cart_sku", agent="cart_sku"),
    DemoTicket(
        "Crash report from our store terminal",
        "Our terminal in store 12 printed this when a cashier scanned a gift card:\n\n{trace}",
        "it@corner-store.example", "shop@1.2.0", "en", trace="cart_sku"),
    DemoTicket(
        "保存个人资料时程序报错",
        "你好，我在个人资料页面填写年龄后点击保存，页面直接出错了。错误信息如下：\n\n{trace}\n请尽快帮忙看一下，谢谢。",
        "chen.wei@example.cn", "shop@1.1.0", "zh", trace="profile_age", agent="profile_age"),
    DemoTicket(
        "使用优惠券后应用崩溃",
        "购物车是空的时候我输入了优惠券，应用马上就崩溃了：\n\n{trace}",
        "li.na@example.cn", "shop@1.2.0", "zh", trace="coupon_zero", agent="coupon_zero"),
    DemoTicket(
        "Coupon code makes the app quit",
        "When I type my coupon code before putting anything in the cart, the whole app just quits. "
        "It worked last week, now it happens again.",
        "bob@example.com", "shop@1.2.0", "en", agent="coupon_zero"),
    DemoTicket(
        "Payment page spins and then says the payment failed",
        "I tried to pay three times this morning. Every time the page spins for a long while and then says the "
        "payment gateway did not answer. My card was not charged.",
        "dmitri@example.com", "shop@1.0.0", "en", agent="gateway_timeout"),
    DemoTicket(
        "Payment failed: gateway did not answer",
        "Checkout keeps failing. The page shows:\n\n"
        "PaymentGatewayTimeoutError: payment gateway did not answer within 5.0s (order o1203)\n\n"
        "Is your payment provider down?",
        "sara@example.com", "shop@1.1.0", "en"),
    DemoTicket(
        "付款一直失败，提示支付网关无响应",
        "今天下午付款好几次都失败了，页面一直转圈，最后提示支付网关没有响应。银行卡没有扣款。",
        "wang.fang@example.cn", "shop@1.1.0", "zh", agent="gateway_timeout"),
    DemoTicket(
        "没有收到订单收据邮件",
        "我用游客身份下单以后没有收到收据邮件，订单页面显示发送收据失败。",
        "zhao.lei@example.cn", "shop@1.2.0", "zh"),
)
