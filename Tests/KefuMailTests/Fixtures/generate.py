#!/usr/bin/env python3
"""Writes the fixture mails byte for byte, in the shapes real clients send (Foxmail, Outlook,
Apple Mail, Gmail, QQ, Japanese and Taiwanese clients, broken senders). The expectations in
expected.json are written by hand, not computed from Kefu's parser.

Run from this directory: python3 generate.py"""
import base64
import quopri
from pathlib import Path

HERE = Path(__file__).parent
CRLF = b"\r\n"


def b64(data, width=76):
    encoded = base64.b64encode(data)
    return CRLF.join(encoded[i:i + width] for i in range(0, len(encoded), width))


def qp(data):
    return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", CRLF)


def bword(text, charset):
    return b"=?" + charset.encode() + b"?B?" + base64.b64encode(text.encode(charset if charset != "gb2312" else "gbk")) + b"?="


def write(name, *chunks):
    data = b"".join(c if isinstance(c, bytes) else c.encode("ascii") for c in chunks)
    (HERE / name).write_bytes(data)


def lines(*items):
    return CRLF.join(i if isinstance(i, bytes) else i.encode("ascii") for i in items) + CRLF


# 1. Foxmail, GBK text labelled gb2312 (喆 and 堃 are GBK-only), multipart/alternative, base64.
text = "客服您好：\r\n\r\n我叫张喆，钱包 UID 88001234。昨天提现 0.5 BTC 一直显示审核中，请帮忙查一下。\r\n\r\n张喆 敬上\r\n"
html = "<html><body><p>客服您好：</p><p>我叫张喆，钱包 UID 88001234。昨天提现 0.5 BTC 一直显示审核中，请帮忙查一下。</p><p>张喆 敬上</p></body></html>"
write("foxmail-gbk.eml", lines(
    "Date: Wed, 25 Nov 2026 10:02:11 +0800",
    b"From: \"" + bword("张喆", "gb2312") + b"\" <zhang.zhe@foxmail.com>",
    "To: \"support\" <support@kefu.example>",
    b"Subject: " + bword("提现一直审核中，请帮忙查询（堃）", "gb2312"),
    "X-Priority: 3",
    "X-Has-Attach: no",
    "X-Mailer: Foxmail 7.2.25.213[cn]",
    "Mime-Version: 1.0",
    "Message-ID: <202611251002110129381@foxmail.com>",
    "Content-Type: multipart/alternative;",
    "\tboundary=\"----=_001_NextPart448113722870_=----\"",
    "",
    "This is a multi-part message in MIME format.",
    "",
    "------=_001_NextPart448113722870_=----",
    "Content-Type: text/plain;",
    "\tcharset=\"gb2312\"",
    "Content-Transfer-Encoding: base64",
    "",
), b64(text.encode("gbk")), CRLF, lines(
    "",
    "------=_001_NextPart448113722870_=----",
    "Content-Type: text/html;",
    "\tcharset=\"gb2312\"",
    "Content-Transfer-Encoding: base64",
    "",
), b64(html.encode("gbk")), CRLF, lines("", "------=_001_NextPart448113722870_=------", ""))

# 2. Outlook (Chinese), reply with quoted history in Outlook's block style, QP gb2312, and an
#    attachment whose name Outlook encodes as an RFC 2047 word inside the parameter.
plain = ("您好，截图已附上，麻烦尽快处理。\r\n\r\n李伟\r\n\r\n"
         "发件人: Kefu 客服 <support@kefu.example>\r\n发送时间: 2026年11月24日 18:30\r\n收件人: 李伟 <li.wei@outlook.com>\r\n"
         "主题: 回复: [#1042] 账户被冻结\r\n\r\n您好，请提供转账记录截图。\r\n")
png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x1f\x15\xc4\x89" + bytes(16)
write("outlook-gb2312-qp.eml", lines(
    "From: =?gb2312?B?wO7OsA==?= <li.wei@outlook.com>",
    "To: Kefu =?gb2312?B?v823/g==?= <support@kefu.example>",
    b"Subject: " + bword("回复: [#1042] 账户被冻结", "gb2312"),
    "Thread-Topic: =?gb2312?B?u9i4tDogWyMxMDQyXSDVy7unsbu2s73h?=",
    "Thread-Index: AQHbPvRZ1ZrW4Kx0S0qD7u8Qq3wJzQ==",
    "Date: Wed, 25 Nov 2026 09:15:02 +0000",
    "Message-ID: <TYCP286MB1234ABCD5678EF@TYCP286MB1234.JPNP286.PROD.OUTLOOK.COM>",
    "References: <kefu.1042.a1b2c3@kefu.example>",
    "In-Reply-To: <kefu.1042.a1b2c3@kefu.example>",
    "Accept-Language: zh-CN, en-US",
    "Content-Language: zh-CN",
    "X-MS-Has-Attach: yes",
    "Content-Type: multipart/mixed;",
    "\tboundary=\"_004_TYCP286MB1234ABCD_\"",
    "MIME-Version: 1.0",
    "",
    "--_004_TYCP286MB1234ABCD_",
    "Content-Type: multipart/alternative;",
    "\tboundary=\"_000_TYCP286MB1234ABCD_\"",
    "",
    "--_000_TYCP286MB1234ABCD_",
    "Content-Type: text/plain; charset=\"gb2312\"",
    "Content-Transfer-Encoding: quoted-printable",
    "",
), qp(plain.encode("gbk")), CRLF, lines(
    "--_000_TYCP286MB1234ABCD_",
    "Content-Type: text/html; charset=\"gb2312\"",
    "Content-Transfer-Encoding: quoted-printable",
    "",
), qp("<html><body><div>您好，截图已附上，麻烦尽快处理。</div></body></html>".encode("gbk")), CRLF, lines(
    "--_000_TYCP286MB1234ABCD_--",
    "",
    "--_004_TYCP286MB1234ABCD_",
    b"Content-Type: image/png; name=\"" + bword("转账截图.png", "gb2312") + b"\"",
    b"Content-Description: " + bword("转账截图.png", "gb2312"),
    b"Content-Disposition: attachment; filename=\"" + bword("转账截图.png", "gb2312") + b"\"; size=49;",
    "\tcreation-date=\"Wed, 25 Nov 2026 09:14:40 GMT\"",
    "Content-Transfer-Encoding: base64",
    "",
), b64(png), CRLF, lines("", "--_004_TYCP286MB1234ABCD_--", ""))

# 3. Apple Mail: alternative with text (QP UTF-8, "On … wrote:" and > quotes) and related
#    (HTML + inline image), plus an attachment named with RFC 2231.
apple_text = ("Thanks, I turned 2FA back on.\r\n\r\nMarco\r\n\r\n"
              "> On 24 Nov 2026, at 18:30, Kefu Support <support@kefu.example> wrote:\r\n>\r\n"
              "> Please enable two-factor authentication again.\r\n")
write("apple-mail-utf8.eml", lines(
    "From: Marco Rossi <marco.rossi@icloud.com>",
    "Content-Type: multipart/mixed;",
    "\tboundary=\"Apple-Mail=_8F1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D\"",
    "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3774.300.61.1.2\\))",
    "Subject: Re: [#1012] Lost access to my email and 2FA",
    "Date: Wed, 25 Nov 2026 11:20:45 +0100",
    "In-Reply-To: <kefu.1012.ffee01@kefu.example>",
    "To: Kefu Support <support+c-7h3k9q@kefu.example>",
    "References: <kefu.1012.aa0001@kefu.example> <kefu.1012.ffee01@kefu.example>",
    "Message-Id: <4A6F2E1D-9B8C-4D7E-A1F2-3C4B5D6E7F80@icloud.com>",
    "X-Mailer: Apple Mail (2.3774.300.61.1.2)",
    "",
    "",
    "--Apple-Mail=_8F1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D",
    "Content-Type: multipart/alternative;",
    "\tboundary=\"Apple-Mail=_11111111-2222-3333-4444-555555555555\"",
    "",
    "",
    "--Apple-Mail=_11111111-2222-3333-4444-555555555555",
    "Content-Transfer-Encoding: quoted-printable",
    "Content-Type: text/plain;",
    "\tcharset=utf-8",
    "",
), qp(apple_text.encode()), CRLF, lines(
    "--Apple-Mail=_11111111-2222-3333-4444-555555555555",
    "Content-Type: multipart/related;",
    "\ttype=\"text/html\";",
    "\tboundary=\"Apple-Mail=_66666666-7777-8888-9999-000000000000\"",
    "",
    "",
    "--Apple-Mail=_66666666-7777-8888-9999-000000000000",
    "Content-Transfer-Encoding: 7bit",
    "Content-Type: text/html;",
    "\tcharset=us-ascii",
    "",
    "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=us-ascii\"></head><body>Thanks, I turned 2FA back on.<div><img src=\"cid:A1B2C3D4@apple\"></div><div>Marco</div></body></html>",
    "--Apple-Mail=_66666666-7777-8888-9999-000000000000",
    "Content-Transfer-Encoding: base64",
    "Content-Disposition: inline;",
    "\tfilename=signature.png",
    "Content-Type: image/png;",
    "\tx-unix-mode=0644;",
    "\tname=\"signature.png\"",
    "Content-Id: <A1B2C3D4@apple>",
    "",
), b64(png), CRLF, lines(
    "--Apple-Mail=_66666666-7777-8888-9999-000000000000--",
    "",
    "--Apple-Mail=_11111111-2222-3333-4444-555555555555--",
    "",
    "--Apple-Mail=_8F1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D",
    "Content-Disposition: attachment;",
    "\tfilename*=utf-8''%E8%BA%AB%E4%BB%BD%E8%AF%81%E6%98%8E.pdf",
    "Content-Type: application/pdf;",
    "\tx-unix-mode=0644;",
    "\tname=\"=?utf-8?B?6Lqr5Lu96K+B5piOLnBkZg==?=\"",
    "Content-Transfer-Encoding: base64",
    "",
), b64(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"), CRLF, lines(
    "--Apple-Mail=_8F1B2C3D-4E5F-6A7B-8C9D-0E1F2A3B4C5D--", ""))

# 4. Gmail: attribution wrapped onto two lines; 7bit UTF-8 sent as 8bit.
gmail_text = ("Hi, the withdrawal went through now. Thank you!\r\n\r\n"
              "On Wed, Nov 25, 2026 at 10:02 AM Kefu Support <support@kefu.example>\r\nwrote:\r\n\r\n"
              "> Your withdrawal was released by our risk team.\r\n>\r\n")
write("gmail-utf8-reply.eml", lines(
    "MIME-Version: 1.0",
    "References: <kefu.1004.0001@kefu.example> <kefu.1004.0002@kefu.example>",
    "In-Reply-To: <kefu.1004.0002@kefu.example>",
    "From: James Wilson <james.wilson@gmail.com>",
    "Date: Wed, 25 Nov 2026 10:31:00 -0500",
    "Message-ID: <CAF=q8Zk1x2y3z4A5B6C7D8E9F0@mail.gmail.com>",
    "Subject: Re: [#1004] Withdrawal on hold after login from new device",
    "To: Kefu Support <support@kefu.example>",
    "Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3d4e5f60718\"",
    "",
    "--000000000000a1b2c3d4e5f60718",
    "Content-Type: text/plain; charset=\"UTF-8\"",
    "Content-Transfer-Encoding: 8bit",
    "",
), gmail_text.encode(), lines(
    "--000000000000a1b2c3d4e5f60718",
    "Content-Type: text/html; charset=\"UTF-8\"",
    "",
    "<div dir=\"ltr\">Hi, the withdrawal went through now. Thank you!</div><br><div class=\"gmail_quote\">...</div>",
    "",
    "--000000000000a1b2c3d4e5f60718--"))

# 5. Big5 (Taiwan): Q-encoded subject, 8bit body.
big5_subject = "帳戶無法登入，請協助"
big5_body = "您好，我的帳戶從昨天開始無法登入，顯示密碼錯誤。\r\n陳先生\r\n"
write("big5.eml", lines(
    "From: =?big5?Q?" + "".join(f"={b:02X}" for b in "陳志明".encode("big5")) + "?= <chen.cm@hinet.net>",
    "To: support@kefu.example",
    "Subject: =?Big5?Q?" + "".join(f"={b:02X}" if b > 0x7e or b in (0x3d, 0x3f, 0x5f, 0x20, 0x2c) else chr(b) for b in big5_subject.encode("big5")) + "?=",
    "Date: Wed, 25 Nov 2026 08:00:00 +0800",
    "Message-ID: <20261125080000.12345@hinet.net>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=big5",
    "Content-Transfer-Encoding: 8bit",
    "",
), big5_body.encode("big5"))

# 6. GB18030 with four-byte sequences (€, 😀 and an Extension B character).
gb_body = "充值 100€ 没到账 😀 名字里有𠮷字\r\n"
write("gb18030-4byte.eml", lines(
    "From: wang@163.com",
    "To: support@kefu.example",
    b"Subject: " + b"=?GB18030?B?" + base64.b64encode("充值没到账 😀".encode("gb18030")) + b"?=",
    "Date: Wed, 25 Nov 2026 07:00:00 +0800",
    "Message-ID: <gb18030.1@163.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=GB18030",
    "Content-Transfer-Encoding: base64",
    "",
), b64(gb_body.encode("gb18030")), CRLF)

# 7. A multibyte character split across encoded words (UTF-8 and GBK), as long-subject
#    encoders do; plus a Q word with underscores for spaces.
utf = "提币地址填错了怎么办".encode()
gbk = "资金安全".encode("gbk")
write("split-encoded-words.eml", lines(
    b"From: =?UTF-8?Q?Zhao_Lei_=E8=B5=B5?= =?UTF-8?Q?=E7=A3=8A?= <zhao.lei@example.cn>",
    "To: support@kefu.example",
    b"Subject: =?UTF-8?B?" + base64.b64encode(utf[:4]) + b"?=\r\n =?UTF-8?B?" + base64.b64encode(utf[4:11]) + b"?=\r\n =?UTF-8?B?"
    + base64.b64encode(utf[11:]) + b"?= =?GBK?B?" + base64.b64encode(gbk[:3]) + b"?= =?GBK?B?" + base64.b64encode(gbk[3:]) + b"?=",
    "Date: Wed, 25 Nov 2026 12:00:00 +0800",
    "Message-ID: <split.1@example.cn>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
), "我把 USDT 提到了错误的链上。\r\n".encode())

# 8. ISO-2022-JP (stateful 7-bit) in subject and body.
jp_subject = "出金について"
jp_body = "お世話になっております。出金が反映されません。\r\n"
write("iso-2022-jp.eml", lines(
    b"From: =?ISO-2022-JP?B?" + base64.b64encode("山田太郎".encode("iso2022_jp")) + b"?= <yamada@example.jp>",
    "To: support@kefu.example",
    b"Subject: =?ISO-2022-JP?B?" + base64.b64encode(jp_subject.encode("iso2022_jp")) + b"?=",
    "Date: Wed, 25 Nov 2026 09:00:00 +0900",
    "Message-ID: <jp.1@example.jp>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=ISO-2022-JP",
    "Content-Transfer-Encoding: 7bit",
    "",
), jp_body.encode("iso2022_jp"))

# 9. Shift_JIS with a Windows-only character (①), 8bit.
write("shift-jis.eml", lines(
    "From: suzuki@example.jp",
    "To: support@kefu.example",
    b"Subject: =?Shift_JIS?B?" + base64.b64encode("二段階認証①".encode("cp932")) + b"?=",
    "Date: Wed, 25 Nov 2026 09:30:00 +0900",
    "Message-ID: <sjis.1@example.jp>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=Shift_JIS",
    "Content-Transfer-Encoding: 8bit",
    "",
), "認証アプリを機種変更で失くしました①\r\n".encode("cp932"))

# 10. ISO-8859-1 label on Windows-1252 bytes (€ and curly quotes), quoted-printable.
write("latin1-windows1252.eml", lines(
    "From: =?iso-8859-1?Q?Andr=E9_M=FCller?= <andre@example.de>",
    "To: support@kefu.example",
    "Subject: =?iso-8859-1?Q?Geb=FChr_von_5_=80?=",
    "Date: Wed, 25 Nov 2026 10:00:00 +0100",
    "Message-ID: <latin.1@example.de>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable",
    "",
), qp("Warum kostet die Überweisung 5 €? Das ist „teuer“.\r\n".encode("cp1252")), CRLF)

# 11. HTML only, with script, style, entities, a list and a deceptive link.
write("html-only.eml", lines(
    "From: \"Li Na\" <li.na@example.com>",
    "To: support@kefu.example",
    "Subject: Security question",
    "Date: Wed, 25 Nov 2026 10:00:00 +0000",
    "Message-ID: <html.1@example.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
    "",
), qp(("<html><head><style>p{color:red}</style><script>alert('x')</script><title>t</title></head><body>"
       "<p>Hello&nbsp;team,</p><p>I got this mail &amp; I&#39;m not sure it&#x27;s you:</p>"
       "<ul><li>It asked for my <b>seed phrase</b></li><li>It came from &lt;support@kefu-help.example&gt;</li></ul>"
       "<p><a href=\"https://kefu-help.example/login\">https://kefu.example/login</a></p>"
       "<!-- tracking --><img src=\"https://tracker.example/p.gif\" alt=\"\"><p>Li&nbsp;Na</p></body></html>").encode()), CRLF)

# 12. Broken: unknown charset, damaged base64, no closing boundary, header line without colon.
write("broken-mime.eml", lines(
    "From: broken@example.com",
    "To: support@kefu.example",
    "Subject: =?x-unknown?B?SGVsbG8=?= broken",
    "Date: not a date",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"XYZ\"",
    "",
    "--XYZ",
    "Content-Type: text/plain; charset=x-unknown-charset",
    "",
    "I cannot withdraw. My UID is 5566.",
    "--XYZ",
    "Content-Type: application/pdf; name=statement.pdf",
    "Content-Transfer-Encoding: base64",
    "",
    "JVBERi0xLjQK!!!broken***",
    "JVBERi0xLjQK",
))

# 13. An auto-reply (RFC 3834) from an out-of-office.
write("autoreply.eml", lines(
    "From: Zhou Min <zhou.min@example.com>",
    "To: support@kefu.example",
    "Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSNOiBbIzEwMDhdIOaCqOeahOmXrumimA==?=",
    "Auto-Submitted: auto-replied",
    "X-Autoreply: yes",
    "Date: Wed, 25 Nov 2026 10:00:00 +0800",
    "Message-ID: <auto.1@example.com>",
    "In-Reply-To: <kefu.1008.0001@kefu.example>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
), b64("我正在休假，11 月 30 日回来。\r\n".encode()), CRLF)

# 14. A bounce (DSN) from the mailer daemon.
write("bounce.eml", lines(
    "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)",
    "To: support@kefu.example",
    "Subject: Undelivered Mail Returned to Sender",
    "Auto-Submitted: auto-replied",
    "Date: Wed, 25 Nov 2026 10:00:00 +0000",
    "Message-ID: <bounce.1@mx.example.net>",
    "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status;",
    "\tboundary=\"B0unce\"",
    "",
    "--B0unce",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "This is the mail system at host mx.example.net.",
    "<nobody@example.net>: user unknown",
    "",
    "--B0unce",
    "Content-Type: message/delivery-status",
    "",
    "Reporting-MTA: dns; mx.example.net",
    "Final-Recipient: rfc822; nobody@example.net",
    "Action: failed",
    "Status: 5.1.1",
    "",
    "--B0unce--",
))

# 15. A forwarded mail attached as message/rfc822 inside multipart/mixed.
write("nested-forward.eml", lines(
    "From: Sun Li <sun.li@example.cn>",
    "To: support@kefu.example",
    "Subject: Fwd: suspicious mail",
    "Date: Wed, 25 Nov 2026 10:00:00 +0800",
    "Message-ID: <fwd.1@example.cn>",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"outer\"",
    "",
    "--outer",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
), b64("这封邮件是你们发的吗？\r\n".encode()), CRLF, lines(
    "--outer",
    "Content-Type: message/rfc822",
    "Content-Disposition: attachment; filename=\"phish.eml\"",
    "",
    "From: \"Kefu Security\" <security@kefu-help.example>",
    "Subject: Verify your wallet",
    "Content-Type: text/plain",
    "",
    "Click here and enter your recovery phrase.",
    "--outer--",
))

# 16. Raw GBK bytes in headers without encoded words (old clients and some webmail).
write("raw-8bit-gbk-headers.eml", lines(
    b"From: " + "刘洋".encode("gbk") + b" <liu.yang@sina.com>",
    "To: support@kefu.example",
    b"Subject: " + "重置密码后为什么不能提币?".encode("gbk"),
    "Date: Wed, 25 Nov 2026 10:00:00 +0800",
    "Message-ID: <raw.1@sina.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=gbk",
    "Content-Transfer-Encoding: 8bit",
    "",
), "改完密码提示 24 小时内不能提币。\r\n".encode("gbk"))

# 17. RFC 2231 continuations with a charset on a long Chinese file name.
name = "2026年11月转账记录（交易所导出）.pdf".encode()
encoded = "".join(f"%{b:02X}" for b in name)
write("rfc2231-continuation.eml", lines(
    "From: he@example.cn",
    "To: support@kefu.example",
    "Subject: statement",
    "Date: Wed, 25 Nov 2026 10:00:00 +0800",
    "Message-ID: <rfc2231.1@example.cn>",
    "MIME-Version: 1.0",
    "Content-Type: multipart/mixed; boundary=\"b2231\"",
    "",
    "--b2231",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "See attached.",
    "--b2231",
    "Content-Type: application/pdf",
    "Content-Transfer-Encoding: base64",
    "Content-Disposition: attachment;",
    " filename*0*=UTF-8''" + encoded[:60] + ";",
    " filename*1*=" + encoded[60:120] + ";",
    " filename*2*=" + encoded[120:],
    "",
), b64(b"%PDF-1.7\n%%EOF\n"), CRLF, lines("--b2231--"))

# 18. Mailing-list mail.
write("mailing-list.eml", lines(
    "From: Crypto News <news@list.example.org>",
    "To: support@kefu.example",
    "Subject: [crypto-news] Weekly digest",
    "List-Id: Crypto News <crypto-news.list.example.org>",
    "List-Unsubscribe: <mailto:leave@list.example.org>",
    "Precedence: list",
    "Date: Wed, 25 Nov 2026 10:00:00 +0000",
    "Message-ID: <list.1@list.example.org>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "This week in crypto.",
))
print("written")
