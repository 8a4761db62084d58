// The kanban API's length limits (kanban/schemas.py), for the inputs' maxLength: the
// browser stops the typing where the server would refuse the text.

export const BOARD_NAME_MAX = 120;
export const CARD_TITLE_MAX = 300;
