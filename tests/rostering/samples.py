"""Sample files in the shape of the TAO Portal's CSV templates."""

ORGANIZATIONS = (
    "hierarchy_organizationId,hierarchy_organizationName,hierarchy_organizationDescription,hierarchy_parentOrganizationId\n"
    "district-north,North District,All northern schools,root\n"
    "school-lincoln,Lincoln High School,,district-north\n"
    ",Riverside Elementary,Its id is generated,district-north\n"
)
USERS = (
    "user_username,user_name,user_password,user_email,user_language,user_active,user_role,"
    "user_organizationId,user_externalId,user_metadata_grade\n"
    "teacher.jones,Mary Jones,Teach#2026,mjones@lincoln.example,en-US,TRUE,GROUP_CREATOR|SUPPORT,"
    'school-lincoln,"{""google"": ""mjones""}",\n'
    "student.kim,Daniel Kim,Learn#2026,,en-US,TRUE,,school-lincoln,,7\n"
    "student.ortiz,Ana Ortiz,Learn#2026,,es-ES,FALSE,,school-lincoln,,8\n"
)
GROUPS = (
    "group_name,group_description,group_active,group_organizationId,group_metadata_year\n"
    "class-7a,Class 7A,TRUE,school-lincoln,2026\n"
    "class-8b,Class 8B,,school-lincoln,2026\n"
)
LINK_EXISTING = (
    "user_username,group_name,group_role\n"
    "student.kim,class-7a,TEST_TAKER\n"
    "teacher.jones,class-7a,GRADER\n"
    "student.ortiz,class-8b,TEST_TAKER\n"
)
LINK_NEW = (
    "user_username,user_name,user_password,user_email,user_language,user_active,group_role,group_name,user_organizationId\n"
    "student.lee,Sam Lee,Learn#2026,,en-US,TRUE,TEST_TAKER,class-7a,school-lincoln\n"
    "student.kim,Daniel Kim,,,en-US,TRUE,TEST_TAKER,class-8b,school-lincoln\n"
)
SESSIONS_NEW_GROUPS = (
    "session_deliveryId,group_name,group_description,group_active,session_name,session_timezone,"
    "session_startDate,session_endDate,session_submissionDate,session_waitingPageDate,"
    "session_securitySettings,session_reviewSettings,session_testRunnerAccessibilityPlugins,"
    "session_testRunnerSessionPlugins,session_reportSettings,session_readAloud,group_organizationId\n"
    "delivery-math-7,math-retake,Math retake group,TRUE,Math spring 2026,Europe/Paris,"
    "2026-05-04T09:00:00+02:00,2026-05-04T12:00:00+02:00,2026-05-04T12:30:00+02:00,2026-05-04T08:45:00+02:00,"
    '"lockdown,fullscreen",allowReview,"highContrast,zoom",timer,scoreReport,enabled,school-lincoln\n'
)
SESSIONS_EXISTING_GROUPS = (
    "session_deliveryId,session_batteryId,group_name,session_name,session_timezone,session_startDate,session_endDate\n"
    "delivery-read-7,,class-7a,Reading 7A,America/New_York,2026-06-01T09:00:00,2026-06-01T10:00:00\n"
    ",battery-science,class-8b,Science 8B,America/New_York,2026-06-02,2026-06-03\n"
)
