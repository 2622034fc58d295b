// The CLI's version and the User-Agent it sends.
export const VERSION = "0.1.0";
export const USER_AGENT = `mogplex-cli/${VERSION} (node ${process.versions.node})`;
