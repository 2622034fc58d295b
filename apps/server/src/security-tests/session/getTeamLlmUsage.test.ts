// Security suite for the session route getTeamLlmUsage (cases generated from the session table: test-support/session-security-cases.ts).
import { sessionSecuritySuite } from "../../test-support/session-security-cases.js";

sessionSecuritySuite("getTeamLlmUsage");
