"""GraphQL: processMatrix, a process compared across schools as compact rows."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.api.types import parse_id
from district_ppm.governance import matrix
from district_ppm.measures.schema.types import Direction, Status, Unit
from district_ppm.schools.schema import School, SchoolLevel


@strawberry.type(description="The median value of the schools of one level (its peer group).")
class PeerMedian:
    level: SchoolLevel  # type: ignore[valid-type]
    median: float
    schools: int = strawberry.field(description="Schools of the level with a value.")


@strawberry.type(description="One SCHOOL-level measure of the process or its descendants.")
class MatrixColumn:
    measure_id: strawberry.ID
    code: str
    name: str
    unit: Unit  # type: ignore[valid-type]
    direction: Direction  # type: ignore[valid-type]
    peer_medians: list[PeerMedian] = strawberry.field(
        description="Per school level with a value, in level order."
    )


@strawberry.type(
    description="One school's figure for one column (three fields: a cell is paid "
    "for once per school and measure)."
)
class MatrixCell:
    value: float | None = strawberry.field(
        description="The latest value in the school year (of its newest period); null when none."
    )
    status: Status = strawberry.field(  # type: ignore[valid-type]
        description="The school's scorecard status for the year (NO_DATA when none)."
    )
    rank: int | None = strawberry.field(
        description="Among the schools with a value, 1 = best for the direction; ties share "
        "the best rank."
    )


@strawberry.type
class MatrixRow:
    school: School
    cells: list[MatrixCell] = strawberry.field(description="One per column, in column order.")


@strawberry.type(
    description="Every school (by name) x each SCHOOL-level measure (by code) of a process "
    "and its descendants, for one school year."
)
class ProcessMatrix:
    process_id: strawberry.ID
    school_year: int
    columns: list[MatrixColumn]
    rows: list[MatrixRow]

    @classmethod
    def from_result(cls, result: matrix.ProcessMatrix) -> ProcessMatrix:
        return cls(
            process_id=strawberry.ID(str(result.process_id)),
            school_year=result.school_year,
            columns=[
                MatrixColumn(
                    measure_id=strawberry.ID(str(c.measure.id)),
                    code=c.measure.code,
                    name=c.measure.name,
                    unit=c.measure.unit,
                    direction=c.measure.direction,
                    peer_medians=[
                        PeerMedian(level=p.level, median=p.median, schools=p.schools)
                        for p in c.peer_medians
                    ],
                )
                for c in result.columns
            ],
            rows=[
                MatrixRow(
                    school=School.from_model(row.school),
                    # The service's cells, read by name: one per school and measure.
                    cells=row.cells,  # type: ignore[arg-type]
                )
                for row in result.rows
            ],
        )


@strawberry.type
class MatrixQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="A process compared across schools for a school year: latest value, "
        "status and rank per school and measure, and the peer-group medians per measure. "
        "NOT_FOUND (processId) for a process not in the district.",
    )
    async def process_matrix(
        self, info: Info, process_id: strawberry.ID, school_year: int
    ) -> ProcessMatrix:
        process = parse_id(process_id, "processId")
        async with read_session(info) as session:
            result = await matrix.process_matrix(
                session=session,
                district_id=principal_of(info).district_id,
                process_id=process,
                school_year=school_year,
            )
        return ProcessMatrix.from_result(result)
