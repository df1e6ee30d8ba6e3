import Hummingbird; import HummingbirdAuth; import HummingbirdBcrypt; import HummingbirdOTP; import Mustache; import Prometheus; import Crypto
