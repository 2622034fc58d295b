// Security suite for the session route updateTeamLlmBudget (cases generated from the session table: test-support/session-security-cases.ts).
import { sessionSecuritySuite } from "../../test-support/session-security-cases.js";

sessionSecuritySuite("updateTeamLlmBudget");
