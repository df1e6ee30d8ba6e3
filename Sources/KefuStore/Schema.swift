/// Every migration Kefu has released, oldest first: the SQL of each is in
/// `Migrations/NNN_name.swift`. Append new ones; never edit one in place.
public enum Schema {
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "foundation", statements: foundation),
        Migration(version: 2, name: "widget_sessions", statements: widgetSessions),
        Migration(version: 3, name: "canned_replies", statements: cannedReplies),
        Migration(version: 4, name: "prechat_forms_and_avatars", statements: prechatFormsAndAvatars),
        Migration(version: 5, name: "email_channel", statements: emailChannel),
        Migration(version: 6, name: "email_codes", statements: emailCodes),
        Migration(version: 7, name: "customer_accounts", statements: customerAccounts),
        Migration(version: 8, name: "account_token_payload", statements: accountTokenPayload),
        Migration(version: 9, name: "two_factor_resets", statements: twoFactorResets),
        Migration(version: 10, name: "authorizations", statements: authorizations),
        Migration(version: 11, name: "channel_threads_and_telegram", statements: channelThreadsAndTelegram),
        Migration(version: 12, name: "webhooks", statements: webhooks),
        Migration(version: 13, name: "announcements", statements: announcements),
        Migration(version: 14, name: "service_token_inbox", statements: serviceTokenInbox),
        Migration(version: 15, name: "help_center", statements: helpCenter),
        Migration(version: 16, name: "service_levels", statements: serviceLevels),
        Migration(version: 17, name: "unmeasured_conversations", statements: unmeasuredConversations),
        Migration(version: 18, name: "satisfaction_surveys", statements: satisfactionSurveys),
        Migration(version: 19, name: "feedback_board", statements: feedbackBoard),
        Migration(version: 20, name: "trust_and_safety", statements: trustAndSafety),
        Migration(version: 21, name: "one_channel_message_index", statements: oneChannelMessageIndex),
        Migration(version: 22, name: "shared_instance_state", statements: sharedInstanceState),
    ]
}
