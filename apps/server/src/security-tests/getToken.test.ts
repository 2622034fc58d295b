// Security suite for the public getToken route (cases shared in test-support/security-cases.ts).
import { securitySuite } from "../test-support/security-cases.js";

securitySuite("getToken");
