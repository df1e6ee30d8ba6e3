import Foundation
import KefuAccounts
import KefuChannels
import KefuCore
import KefuHelp
import KefuQuality
import KefuStore

/// Seeds an installation with what a new operator needs to try Kefu: an admin, an agent, two
/// inboxes and a dozen realistic conversations in Chinese and English. Running it again on a
/// seeded database changes nothing.
public struct DemoData: Sendable {
    public struct Credentials: Sendable {
        public let role: AgentRole
        public let email: String
        public let password: String
    }

    /// Well-known on purpose: demo data is for a local trial, never for production.
    public static let credentials = [
        Credentials(role: .admin, email: "admin@kefu.example", password: "kefu-demo-admin"),
        Credentials(role: .agent, email: "agent@kefu.example", password: "kefu-demo-agent"),
    ]

    /// The demo customers' wallet sign-in (`/account/login`), e.g. li.wei@example.cn.
    public static let customerPassword = "Kefu-demo-customer-1"

    public let store: any KefuRepositories
    public let hasher: PasswordHasher
    /// Seals the demo customer's TOTP secret, as the real enrolment does.
    public let secretKey: Data

    public init(store: any KefuRepositories, hasher: PasswordHasher, secretKey: Data) {
        self.store = store
        self.hasher = hasher
        self.secretKey = secretKey
    }

    /// Seeds unless demo agents exist already; returns whether it seeded.
    @discardableResult
    public func seed() async throws -> Bool {
        if let (admin, _) = try await store.credentials(email: Self.credentials[0].email) {
            // A database seeded before the help center existed gets its starter set now.
            try await seedHelpCenter(editor: admin)
            return false
        }
        let admin: Agent
        do {
            admin = try await store.createAgent(
                email: Self.credentials[0].email, name: "王敏 Wang Min", role: .admin,
                passwordHash: try await hasher.hash(Self.credentials[0].password), mustChangePassword: false,
                audit: AuditEvent(actor: .system, action: "demo.seeded", subjectKind: "agent"))
        } catch StoreError.conflict {
            // Another instance started with --demo at the same moment is seeding: its data it is.
            return false
        }
        let agent = try await store.createAgent(
            email: Self.credentials[1].email, name: "Alex Chen", role: .agent,
            passwordHash: try await hasher.hash(Self.credentials[1].password), mustChangePassword: false, audit: nil)
        let chat = try await store.createInbox(name: "Website chat · 网站在线客服", kind: .webchat, audit: nil)
        let mail = try await store.createInbox(name: "support@kefu.example", kind: .email, audit: nil)

        for (shortcut, body) in Self.cannedReplies {
            _ = try await store.createCannedReply(shortcut: shortcut, body: body, createdBy: admin.id, audit: nil)
        }
        var conversations: [String: ConversationID] = [:]
        for (index, script) in Self.scripts.enumerated() {
            let contact = try await store.createContact(name: script.name, email: script.email, locale: script.locale)
            let conversation = try await store.createConversation(
                inboxId: script.byMail ? mail.id : chat.id, contactId: contact.id, subject: script.subject)
            if let email = script.email { conversations[email] = conversation.id }
            for (turn, line) in script.lines.enumerated() {
                let fromCustomer = turn % 2 == 0
                _ = try await store.appendMessage(
                    conversationId: conversation.id,
                    NewMessage(
                        direction: line.hasPrefix("// ") ? .note : (fromCustomer ? .incoming : .outgoing),
                        author: fromCustomer && !line.hasPrefix("// ") ? .contact(contact.id) : .agent(index % 2 == 0 ? agent.id : admin.id),
                        text: line.hasPrefix("// ") ? String(line.dropFirst(3)) : line))
            }
            let assignee: AgentID?? = script.status == .open && index % 3 == 2 ? nil : .some(index % 2 == 0 ? agent.id : admin.id)
            _ = try await store.updateConversation(
                id: conversation.id,
                change: ConversationChange(status: script.status, priority: script.priority, assigneeId: assignee, labels: script.labels),
                audit: nil)
        }
        try await seedAccounts(agent: agent, conversations: conversations)
        try await seedHelpCenter(editor: admin)
        try await seedServiceLevels()
        return true
    }

    /// Office hours in Shanghai with two holidays, and a faster target for VIP-labelled chats on them.
    public func seedServiceLevels() async throws {
        let levels = ServiceLevels(store: store)
        let office = try await levels.saveCalendar(
            BusinessCalendarInput(
                name: "Shanghai office · 上海办公室", timeZone: "Asia/Shanghai",
                periods: (1...5).map { BusinessPeriod(weekday: $0, start: 9 * 60, end: 18 * 60) } + [BusinessPeriod(weekday: 6, start: 10 * 60, end: 16 * 60)],
                holidays: [
                    ImportedHoliday(date: CalendarDate(year: 2027, month: 1, day: 1)!, name: "New Year · 元旦"),
                    ImportedHoliday(date: CalendarDate(year: 2027, month: 2, day: 6)!, name: "Spring Festival · 春节"),
                ]), id: nil, by: .system)
        _ = try await levels.savePolicy(
            SLAPolicyInput(
                name: "VIP customers", match: SLAMatch(label: "vip"), firstResponseSeconds: 120, nextResponseSeconds: 300, resolutionSeconds: 8 * 3600,
                calendarId: office.id, warnBeforeSeconds: 60, onBreach: SLABreachActions(raisePriority: .urgent)), id: nil, by: .system)
    }

    /// The starter articles and two announcements, so `/help` shows a whole help center.
    public func seedHelpCenter(editor: Agent) async throws {
        // Kefu's own starter text: rendered in this process. A category that exists already
        // means another instance is seeding it at this moment: the rest is its to add.
        do {
            guard try await HelpStarter.load().seed(into: HelpArticles(store: store, renderer: InProcessMarkdown()), editor: editor) else { return }
        } catch HelpError.conflict {
            return
        }
        // The demo wallet's own channels, so the verify page can tell them from lookalikes.
        let channels = OfficialChannels(store: store, supportAddress: "", publicURL: "")
        for (kind, value, note) in Self.officialChannels {
            _ = try await channels.add(kind: kind, value: value, note: note, admin: editor.id, source: .system)
        }
        let announcements = Announcements(store: store)
        for text in Self.announcements {
            let draft = try await announcements.create(text, source: .system, agent: editor.id)
            _ = try await announcements.publish(draft.id, source: .system, agent: editor.id)
        }
    }

    public static let officialChannels: [(OfficialChannelKind, String, String)] = [
        (.url, "https://kefu.example", "Website"),
        (.email, "support@kefu.example", "Support mailbox"),
        (.telegram, "@KefuSupportBot", "Support bot"),
        (.telegram, "@kefu_announcements", "Announcement channel"),
        (.x, "@KefuWallet", "X account"),
    ]

    public static let announcements = [
        AnnouncementText(
            titleEn: "Beware of fake support accounts", titleZh: "谨防冒充客服诈骗",
            bodyEn: "Scammers are messaging customers on Telegram and X while pretending to be our support team. We **never** message you first and never ask for your password, recovery phrase or private key. Check any account on [the official-channel page](/help/en/verify).",
            bodyZh: "近期有诈骗分子在 Telegram 和 X 上冒充我们的客服私信用户。我们**绝不会**主动私信您，也绝不会索要您的密码、助记词或私钥。如有疑问，请在[官方渠道核验页面](/help/zh-CN/verify)核实。"),
        AnnouncementText(
            titleEn: "Scheduled maintenance: withdrawals paused for 30 minutes", titleZh: "系统维护通知：提币暂停 30 分钟",
            bodyEn: "To upgrade our wallet infrastructure, withdrawals will be paused for about 30 minutes during the next maintenance window. Deposits and balances are not affected.",
            bodyZh: "为升级钱包基础设施，下次维护期间提币将暂停约 30 分钟，充值和余额不受影响。"),
    ]

    /// Two customers have wallet accounts, so the conversation panel shows one: 李伟 (verified,
    /// tier 1, a withdrawal to a new address on hold) and 陈静, who lost her authenticator; Alex has asked for her 2FA reset, which
    /// waits for a supervisor (the demo admin may approve it).
    public func seedAccounts(agent: Agent, conversations: [String: ConversationID]) async throws {
        let hash = try await hasher.hash(Self.customerPassword)
        func account(_ email: String, locale: String) async throws -> Account {
            let account = try await store.createAccount(
                email: email, passwordHash: hash, locale: locale,
                event: AccountEvent(kind: .registered, clientAddress: "203.0.113.24", createdAt: Date().addingTimeInterval(-90 * 86400)))
            try await store.markAccountEmailVerified(accountId: account.id, event: AccountEvent(kind: .emailVerified, createdAt: Date()))
            return account
        }
        let li = try await account("li.wei@example.cn", locale: "zh-CN")
        _ = try await store.updateAccountVerification(
            accountId: li.id, tier: 1, country: "CN",
            audit: AuditEvent(actor: .agent(agent.id), action: "account.verification_changed", subjectKind: "account", subjectId: li.id.rawValue))
        // A withdrawal to a new address that waits in Console → Holds.
        let now = Date()
        let request = AuthorizationRequest(kind: .withdrawal, value: USD(whole: 1_500), destination: "TRX9demoNewAddress")
        _ = try await store.authorize(
            accountId: li.id,
            NewAuthorization(idempotencyKey: "demo-withdrawal-1", requestHash: "demo", request: request, asset: "USDT", amount: "1500"), now: now,
            decide: { AuthorizationRules.decide(request, activity: $0, policy: .standard, now: now) })
        let chen = try await account("chen.jing@example.cn", locale: "zh-CN")
        let sealed = try SecretBox(secretKey: secretKey, purpose: "account-totp").seal(TOTPService().newSecret())
        _ = try await store.startAccountTOTP(accountId: chen.id, sealedSecret: sealed)
        _ = try await store.enableAccountTOTP(
            accountId: chen.id, step: 0, recoveryCodeHashes: [], lockWithdrawalsUntil: Date(),
            event: AccountEvent(kind: .twoFactorEnabled, createdAt: Date()))
        let reason = "已核对注册邮箱与最近一笔充值（0.5 ETH），与记录一致。Checked the email on file and the latest deposit (0.5 ETH)."
        _ = try await store.requestTwoFactorReset(
            accountId: chen.id, reason: reason, requestedBy: agent.id, conversationId: conversations["chen.jing@example.cn"],
            event: AccountEvent(kind: .twoFactorResetRequested, detail: ["by": agent.id.rawValue], createdAt: Date()),
            audit: AuditEvent(actor: .agent(agent.id), action: "account.two_factor_reset_requested", subjectKind: "account", subjectId: chen.id.rawValue))
        try await seedFeedbackBoard(agent: agent, customers: [li, chen])
    }

    /// A few posts on the community board: a planned suggestion with an official answer, a
    /// problem under review, a fresh idea.
    func seedFeedbackBoard(agent: Agent, customers: [Account]) async throws {
        func post(_ kind: FeedbackKind, _ title: String, _ body: String, by author: Account, locale: String) async throws -> FeedbackPost {
            try await store.createFeedbackPost(
                kind: kind, title: title, body: body, author: author.id, authorName: String(author.email.prefix(3)) + "***", source: "board",
                locale: locale, linkTo: nil, linkedBy: nil, limit: nil)
        }
        let darkMode = try await post(
            .suggestion, "Address book labels for withdrawal addresses / 提币地址簿备注",
            "Let me name saved withdrawal addresses (\"Cold wallet\", \"Exchange\") so I do not paste the wrong one.\n希望能给常用提币地址加备注。",
            by: customers[0], locale: "zh-CN")
        _ = try await store.setFeedbackVote(postId: darkMode.id, account: customers[1].id, on: true)
        _ = try await store.addFeedbackComment(
            postId: darkMode.id, authorKind: .agent, authorId: agent.id.rawValue, authorName: agent.name,
            body: "Thank you! Labels are planned for the next app release. 感谢建议，地址备注功能已列入下一版本计划。", official: true, limit: nil)
        _ = try await store.setFeedbackStatus(
            postId: darkMode.id, status: .planned,
            audit: AuditEvent(actor: .agent(agent.id), action: "feedback.status_changed", subjectKind: "feedback_post", subjectId: darkMode.id.rawValue))
        let slow = try await post(
            .problem, "TRC-20 withdrawals take over an hour in the evening", "Three times this week my USDT (TRC-20) withdrawal waited more than an hour around 21:00.",
            by: customers[1], locale: "en")
        _ = try await store.setFeedbackStatus(
            postId: slow.id, status: .underReview,
            audit: AuditEvent(actor: .agent(agent.id), action: "feedback.status_changed", subjectKind: "feedback_post", subjectId: slow.id.rawValue))
        _ = try await post(.suggestion, "支持导出年度交易记录 (CSV)", "报税时需要全年的充值、提币记录，希望能一键导出 CSV。", by: customers[0], locale: "zh-CN")
    }

    public static let cannedReplies: [(String, String)] = [
        ("reset", "您好！请在登录页点击“忘记密码”，我们会向您的注册邮箱发送重置链接，链接 30 分钟内有效。重置后 24 小时内提现会暂停，以保护您的资产。\nHello! On the sign-in page choose “Forgot password”; we will email a reset link valid for 30 minutes. Withdrawals pause for 24 hours after a reset to protect your funds."),
        ("limits", "您的提现额度取决于认证等级：一级每日 10,000 美元，二级每日 100,000 美元。可在 账户 → 认证 中升级。\nYour withdrawal limit depends on your verification tier: tier 1 allows 10,000 USD a day, tier 2 100,000 USD. Upgrade under Account → Verification."),
        ("phishing", "我们绝不会索要您的密码、助记词或私钥，也不会通过私信联系您。请通过官方渠道核实，并开启防钓鱼码。\nWe never ask for your password, recovery phrase or private keys, and never contact you first by private message. Check our official channels and set an anti-phishing code."),
        ("2fa", "两步验证重置需要主管审核，并有 48 小时安全等待期；期间您会收到邮件，如非本人操作可取消。\nA 2FA reset needs a supervisor's approval and applies after a 48-hour waiting period; we email you and you can cancel it if it was not you."),
    ]

    public struct Script: Sendable {
        public let name: String
        public let email: String?
        public let locale: String
        public let subject: String
        public let byMail: Bool
        public let status: ConversationStatus
        public let priority: ConversationPriority
        public let labels: [String]
        /// Customer and agent take turns, customer first; a line starting "// " is a private note.
        public let lines: [String]
    }

    public static let scripts: [Script] = [
        Script(
            name: "李伟", email: "li.wei@example.cn", locale: "zh-CN", subject: "忘记登录密码，收不到重置邮件", byMail: false,
            status: .open, priority: .high, labels: ["password"],
            lines: ["你好，我忘记密码了，点了“忘记密码”但一直收不到邮件。", "您好！请先检查垃圾邮件文件夹，并确认注册邮箱是否为 li.wei@example.cn。重置链接 30 分钟内有效。", "垃圾箱里也没有，能帮我再发一次吗？"]),
        Script(
            name: "Sarah Johnson", email: "sarah.j@example.com", locale: "en", subject: "Withdrawal limit too low for my transfer", byMail: true,
            status: .pending, priority: .medium, labels: ["limits", "kyc"],
            lines: ["Hi, I need to withdraw 15,000 USDT but the app says my daily limit is 10,000. How can I raise it?", "Hello Sarah, your account is at verification tier 1, which allows 10,000 USD per 24 hours. Completing tier 2 (proof of address) raises it to 100,000 USD. You can start it under Account → Verification.", "Thanks, I uploaded the document just now."]),
        Script(
            name: "陈静", email: "chen.jing@example.cn", locale: "zh-CN", subject: "换手机后谷歌验证器丢失", byMail: false,
            status: .open, priority: .urgent, labels: ["2fa", "security"],
            lines: ["我换了新手机，旧手机上的谷歌验证器没了，现在登录不了。", "您好，请不要着急。我们可以为您发起两步验证重置，需要主管审核，并有 48 小时的安全等待期。请提供注册邮箱和最近一笔充值的金额。", "邮箱是 chen.jing@example.cn，最近一笔充值是 0.5 ETH。", "// 已核对充值记录，金额一致，待主管审批。"]),
        Script(
            name: "Marco Rossi", email: "marco.rossi@example.it", locale: "en", subject: "Withdrawal on hold after login from new device", byMail: false,
            status: .open, priority: .high, labels: ["risk-hold"],
            lines: ["My withdrawal of 2 BTC has been 'under review' for 3 hours. Why?", "Hi Marco, a withdrawal shortly after a login from a new device goes to manual review to protect your funds. I can see the hold and have escalated it; reviews usually finish within a few hours.", "OK, it was me logging in from my new laptop in Milan."]),
        Script(
            name: "王芳", email: nil, locale: "zh-CN", subject: "收到可疑短信，说我的账户被冻结", byMail: false,
            status: .resolved, priority: .medium, labels: ["phishing", "security"],
            lines: ["我收到一条短信，说我的钱包被冻结，要点链接解冻，是你们发的吗？", "这不是我们发送的！这是钓鱼短信，请不要点击链接，也不要输入助记词或私钥。我们的官方邮件都会带有您设置的防钓鱼码。", "好的，谢谢提醒，我已经删了。"]),
        Script(
            name: "David Kim", email: "dkim@example.com", locale: "en", subject: "Deposit not credited after 2 hours", byMail: true,
            status: .resolved, priority: .low, labels: ["deposit"],
            lines: ["I sent 500 USDT on TRON two hours ago and it still is not in my balance. TxID attached in the next mail.", "Hi David, TRC-20 deposits need 20 confirmations. Your transaction was confirmed and credited a few minutes ago; please refresh the app.", "Got it, thank you!"]),
        Script(
            name: "张磊", email: "zhang.lei@example.cn", locale: "zh-CN", subject: "单笔转账限额是多少？", byMail: false,
            status: .open, priority: .none, labels: ["limits"],
            lines: ["请问我现在单笔最多能转多少？", "您好，您当前是二级认证，单笔转账上限为 50,000 美元，24 小时累计上限 100,000 美元。"]),
        Script(
            name: "Emma Müller", email: "emma.mueller@example.de", locale: "en", subject: "Please close my account", byMail: true,
            status: .pending, priority: .low, labels: ["account"],
            lines: ["I would like to close my account and withdraw the remaining balance.", "Hello Emma, sorry to see you go. Please withdraw your balance first; then reply to this mail and we will close the account within 2 business days."]),
        Script(
            name: "刘洋", email: "liu.yang@example.cn", locale: "zh-CN", subject: "重置密码后为什么不能提币？", byMail: false,
            status: .open, priority: .medium, labels: ["password", "limits"],
            lines: ["我刚重置了密码，现在提币提示“安全锁定中”。", "您好，为保护资产安全，修改密码后 24 小时内暂停提币，锁定将在明天 14:05 自动解除。充值和交易不受影响。", "明白了，那我明天再提。"]),
        Script(
            name: "Olivia Brown", email: "olivia.b@example.co.uk", locale: "en", subject: "Is this Telegram account really your support?", byMail: false,
            status: .resolved, priority: .high, labels: ["phishing"],
            lines: ["Someone on Telegram called '@Kefu_Support_Help' asked for my seed phrase to fix a sync issue. Is that you?", "No. That is a scam. Our support never asks for your recovery phrase or private keys, and our only Telegram account is listed on the official-channels page. Please block and report that account.", "Thank you, blocked."]),
        Script(
            name: "赵敏", email: "zhao.min@example.cn", locale: "zh-CN", subject: "实名认证一直审核中", byMail: true,
            status: .snoozed, priority: .none, labels: ["kyc"],
            lines: ["我三天前提交了实名认证，还在审核中。", "您好，近期审核量较大，预计还需 1-2 个工作日。审核完成后会邮件通知您。"]),
        Script(
            name: "James Wilson", email: "j.wilson@example.com", locale: "en", subject: "Lost access to my email and 2FA", byMail: true,
            status: .open, priority: .urgent, labels: ["2fa", "account-recovery"],
            lines: ["I lost my phone and can no longer access the email on my account either. How do I recover it?", "Hi James, we can help with a full account recovery. For your safety it needs identity verification and a waiting period before changes apply. I will send the secure recovery form to this address.", "// Customer writes from a different address than the one on file; verify identity before anything else."]),
    ]
}
