/// Placeholder: the HTTP gateway lands here.
enum GatewayPlaceholder {}
