import Foundation
import Hummingbird
import KefuCore
import KefuLocalization
import NIOCore

/// The pages' error page (console and customer account): the same message as the API's, as a
/// calm HTML page with the way back to where the person was.
enum ErrorPage {
    static func response(_ problem: APIError, request: Request) -> Response {
        let locale = UILocale.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        let message = HTML.escape(problem.message(locale))
        let path = request.uri.path
        let customer = path.hasPrefix("/account")
        let help = path == "/help" || path.hasPrefix("/help/")
        let home = help ? "/help" : customer ? "/account" : "/console"
        let back = HTML.escape(Catalog.standard.text(help ? .errorPageBackHelp : customer ? .errorPageBackCustomer : .errorPageBackAgent, locale))
        let html = """
            <!doctype html><html lang="\(locale.rawValue)"><head><meta charset="utf-8"><title>Kefu</title>
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="/static/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/static/console.css"></head>
            <body class="centered"><main class="card narrow"><h1>\(problem.status.code)</h1><p data-code="\(problem.code)">\(message)</p>
            <p><a href="\(home)">\(back)</a></p></main></body></html>
            """
        return Response(
            status: problem.status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

enum HTML {
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }
}
