import Foundation
import KefuCore
import Testing

@testable import KefuWeb

/// Every problem a client can get has words in every language (from the catalog), never a key.
@Suite struct ProblemMessageTests {
    static let problems: [APIError] = [
        .unauthenticated, .invalidCredentials, .otpRequired, .invalidOTP, .tooManyAttempts(retryAfter: 30), .tooManySockets(limit: 8),
        .forbidden, .twoFactorEnrollmentRequired, .passwordChangeRequired, .csrf, .notFound("conversation"), .notFound("authorization"),
        .routeNotFound, APIError(kind: .methodNotAllowed(allowed: ["GET"])), .invalidJSON("unexpected end"),
        .validation("password", .rule("password_too_short")), .unsupportedMediaType, .bodyTooLarge, .unreadableBody,
        .transferCodingNotSupported, .conflict("two_factor"), .invalidToken, .approvalByRequester, .assetNotSupported("PEPE"), .internalError,
        .telegramTokenRefused, .telegramUnavailable, .mailNotComposed,
    ]

    @Test func everyProblemHasWordsInEveryLanguage() {
        for problem in Self.problems {
            let english = problem.message(.en)
            let chinese = problem.message(.zhCN)
            #expect(!english.contains("problem_") && !chinese.contains("problem_"), "\(problem.code)")
            #expect(!english.contains("{") && !chinese.contains("{"), "\(problem.code): \(english)")
            #expect(english != chinese, "\(problem.code)")
        }
    }

    @Test func messagesNameTheirFiguresAndRules() {
        #expect(APIError.tooManyAttempts(retryAfter: 30).message(.en) == "Too many attempts. Try again in 30 seconds.")
        #expect(APIError.tooManyAttempts(retryAfter: 30).message(.zhCN) == "尝试次数过多，请在 30 秒后重试。")
        var failure = ValidationFailure()
        failure.add("password", .rule("password_too_short"))
        failure.add("password", .rule("password_needs_digit"))
        failure.add("email", .invalid)
        #expect(APIError.validation(failure).message(.en) == "Check these fields: password (too short; needs a digit), email")
        #expect(APIError.validation(failure).message(.zhCN) == "请检查以下字段：password（太短；需要包含数字）, email")
        #expect(APIError.notFound("conversation").message(.zhCN) == "找不到该会话。")
        #expect(APIError.notFound("authorization").message(.en) == "No such authorization.")
        #expect(APIError.notFound("authorization").message(.zhCN) == "找不到该记录。")
    }
}
