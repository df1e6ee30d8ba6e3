import Foundation
import KefuCore

/// Everything the application persists.
public typealias KefuRepositories = AgentRepository & SessionRepository & TeamRepository & InboxRepository & ContactRepository
    & ConversationRepository & MessageRepository & AttachmentRepository & AuditRepository & SettingsRepository
    & WidgetSessionRepository & CannedReplyRepository & MailRepository & EmailCodeRepository & AccountRepository
    & TwoFactorResetRepository & AuthorizationRepository & ServiceTokenRepository & ChannelThreadRepository & ChannelOutboxRepository
    & TelegramBotRepository & WebhookRepository & AnnouncementRepository & HelpArticleRepository & HelpSearchRepository & OfficialChannelRepository
    & ServiceLevelRepository & SatisfactionRepository & ReportRepository & FeedbackRepository & AgentCodeRepository & ImpersonationReportRepository
    & InstanceStateRepository & CredentialAttemptRepository

public protocol DatabaseHealth: Sendable {
    /// True when the database answers.
    func ping() async -> Bool
}

extension SQLStore: DatabaseHealth {}
