"""The GraphQL documents of the improvement and management reads the benchmarks time
(``bench_improvement.py`` over HTTP, ``bench_verdict_instructions.py --over-http``)."""

SAVINGS_SUMMARY = """query($fy: Int!) { savingsSummary(fiscalYear: $fy) {
  computedAt fiscalYear rows { category status unit amount }
  byProject { project { id title } hardValidated totalUsd validatedUsd totalHours validatedHours }
  byProcess { processId hardValidated totalUsd validatedUsd totalHours validatedHours }
  bySchool { schoolId hardValidated totalUsd validatedUsd totalHours validatedHours }
  byPractice { practiceId hardValidated totalUsd validatedUsd totalHours validatedHours } } }"""
# The fixed cost of any request (token, rate limit, one tenant transaction), for comparison.
ME = "query { me { role } }"
COMPLIANCE = """query($asOf: Date) { sustainabilityCompliance(asOf: $asOf) {
  plan { id projectId startDate endDate } status failedChecks asOf computedAt } }"""
# The practices and management reads, with the fields graphql/operations/ sends.
PRACTICES = """query { practices { id title projectId measureIds
  adoptions { id school { id name } adoptedOn savingsUsd } } }"""
GAINS = """query { gainsAcrossDistrict { practiceId title schoolsAdopted totalSavingsUsd
  computedAt measures { measureId medianGain adoptionsWithGain } } }"""
AGENDA = """query($forumId: ID!, $asOf: Date!) { agenda(forumId: $forumId, asOf: $asOf) {
  reason measureId projectId planId decisionId title origin } }"""
MATRIX = """query($processId: ID!, $schoolYear: Int!) {
  processMatrix(processId: $processId, schoolYear: $schoolYear) { processId schoolYear
    columns { measureId code name unit direction peerMedians { level median schools } }
    rows { school { id name level } cells { value status rank } } } }"""
HYGIENE = """query($asOf: Date) { metricsHygiene(asOf: $asOf) {
  asOf notChecked rows { measure { id code name } reasons } } }"""
FORUM_HYGIENE = """query($asOf: Date) { forumHygiene(asOf: $asOf) {
  reason detail forumId forumName otherForumId otherForumName processId } }"""
RESPONSIBILITIES = """query($email: String, $asOf: Date) {
  responsibilities(email: $email, asOf: $asOf) { asOf person { id email displayName role }
    items { assignmentId responsibility processId measureId code name red signalling due overdue }
    attention { assignmentId reason measureId measureCode schoolId schoolName periodStart } } }"""
REMINDERS = """query($asOf: Date) { dataEntryReminders(asOf: $asOf) { asOf
  owners { key userId name email due overdue }
  items { ownerKey measureId measureCode measureName frequency schoolId schoolName periodStart
          overdue } } }"""
